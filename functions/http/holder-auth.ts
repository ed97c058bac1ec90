// Holder request authentication: an OIDC access token in `Authorization: Bearer …`, checked
// against the identity provider's published keys — a Cognito user pool on AWS, the development
// issuer of `npm start` (dev/oidc-issuer.ts) locally. jose does the JWS and the registered
// claims; what follows is the access-token profile the platform insists on:
//
//   iss        exactly the configured issuer
//   audience   `aud` contains the configured client, or — Cognito access tokens carry no `aud` —
//              `client_id` is it
//   token use  `token_use: access` (Cognito) or JWT type `at+jwt` (RFC 9068): an ID token, which
//              is also signed by the issuer and names the client as `aud`, is refused
//   exp, iat   required; 30 s of clock tolerance
//   sub        the holder account; nothing else of the token is trusted
//
// A refusal answers 401 problem+json naming the failed check, with the RFC 6750 challenge.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyResult,
  jwtVerify,
} from 'jose';
import { HttpProblem, problemResponse, toProblemResponse } from './problem.ts';
import { header } from './request.ts';

/** Asymmetric algorithms an identity provider signs access tokens with; never HS* or none. */
const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 30;

export interface HolderAuthenticationOptions {
  /** The `iss` of the tokens: `https://cognito-idp.<region>.amazonaws.com/<pool id>` on AWS. */
  issuer: string;
  /** The app client the tokens must be issued to. */
  audience: string;
  /**
   * Where the provider publishes its signing keys (its discovery document's `jwks_uri`), when it
   * is not `<issuer>/.well-known/jwks.json`, Cognito's layout (Keycloak: `…/protocol/openid-connect/certs`).
   */
  jwksUri?: string;
  /** The signing keys themselves, instead of fetching them (tests). */
  keys?: JWTVerifyGetKey;
  /** Told about a key-set fetch failure, which is answered with a 503. */
  onDependencyError?: (error: unknown) => void;
  /** The platform clock; the system clock unless told. */
  now?: () => Date;
}

/** What a holder route learns about the caller, from `event.requestContext.authorizer`. */
export interface AuthenticatedHolder {
  /** The holder account: the token's `sub`. */
  account: string;
}

/**
 * Authenticates one holder request: undefined when the holder may go on (and
 * `event.requestContext.authorizer` then names the account), or the problem to answer with.
 */
export type HolderAuthenticator = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult | undefined>;

export function holderAuthenticator(options: HolderAuthenticationOptions): HolderAuthenticator {
  const keys =
    options.keys ??
    createRemoteJWKSet(
      new URL(options.jwksUri ?? `${options.issuer.replace(/\/$/, '')}/.well-known/jwks.json`),
    );
  return async (event) => {
    let token: ReturnType<typeof bearerToken>;
    try {
      token = bearerToken(event);
    } catch (error) {
      // Authorization sent as two lines (header(): REPEATED_HEADER) is a malformed request.
      if (error instanceof HttpProblem) return toProblemResponse(error);
      throw error;
    }
    if (typeof token !== 'string') return refuse(token.reason, 'invalid_request');
    let verified: JWTVerifyResult;
    try {
      verified = await jwtVerify(token, keys, {
        issuer: options.issuer,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub'],
        ...(options.now ? { currentDate: options.now() } : {}),
      });
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || isFetchFailure(error)) {
        options.onDependencyError?.(error);
        return problemResponse(
          'dependency-unavailable',
          "The identity provider's signing keys could not be fetched; try again shortly.",
        );
      }
      return refuse(tokenRefusal(error));
    }
    const refusal = accessTokenRefusal(verified, options.audience);
    if (refusal) return refuse(refusal);
    event.requestContext.authorizer = { holderAccount: verified.payload.sub };
    return undefined;
  };
}

/** The holder the router authenticated, or undefined on a route that did not ask for one. */
export function authenticatedHolder(event: APIGatewayProxyEvent): AuthenticatedHolder | undefined {
  const context = event.requestContext.authorizer as Record<string, unknown> | null | undefined;
  const account = context?.holderAccount;
  return typeof account === 'string' && account !== '' ? { account } : undefined;
}

function bearerToken(event: APIGatewayProxyEvent): string | { reason: string } {
  const value = header(event, 'authorization')?.trim();
  if (!value) return { reason: 'expected an Authorization: Bearer <access token> header; found none' };
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(value);
  if (!match) return { reason: 'expected the Authorization header to carry a Bearer access token' };
  return match[1]!;
}

function accessTokenRefusal(
  { payload, protectedHeader }: JWTVerifyResult,
  audience: string,
): string | undefined {
  const tokenUse = payload.token_use;
  const typ = protectedHeader.typ?.toLowerCase();
  if (tokenUse !== undefined ? tokenUse !== 'access' : typ !== 'at+jwt' && typ !== 'application/at+jwt') {
    return `expected an access token (token_use "access" or typ "at+jwt"), found ${
      tokenUse !== undefined ? `token_use "${String(tokenUse)}"` : `typ "${protectedHeader.typ ?? 'none'}"`
    }`;
  }
  if (!hasAudience(payload, audience)) {
    return `expected a token issued to client ${audience}, found ${describeAudience(payload)}`;
  }
  return undefined;
}

function hasAudience(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) {
    return Array.isArray(payload.aud) ? payload.aud.includes(audience) : payload.aud === audience;
  }
  return payload.client_id === audience;
}

function describeAudience(payload: JWTPayload): string {
  if (payload.aud !== undefined) return `aud ${JSON.stringify(payload.aud)}`;
  if (payload.client_id !== undefined) return `client_id ${JSON.stringify(payload.client_id)}`;
  return 'neither aud nor client_id';
}

function tokenRefusal(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the access token's ${error.claim} claim is not acceptable: ${error.reason}`;
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return "the access token's key is not one the identity provider publishes";
  if (error instanceof errors.JOSEAlgNotAllowed) return `the access token's algorithm is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the access token's signature does not verify";
  return 'the access token is not a well-formed signed JWT';
}

function isFetchFailure(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof errors.JOSEError &&
      error.code === 'ERR_JOSE_GENERIC' &&
      /fetch|response/i.test(error.message))
  );
}

function refuse(
  detail: string,
  error: 'invalid_token' | 'invalid_request' = 'invalid_token',
): APIGatewayProxyResult {
  const description = detail.replace(/["\\]/g, "'");
  return problemResponse(
    'unauthorized',
    detail,
    {},
    { 'www-authenticate': `Bearer error="${error}", error_description="${description}"` },
  );
}
