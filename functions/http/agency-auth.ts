// Agency request authentication as middy middleware, for API Gateway REST (v1) proxy events:
// rebuild the request as the agency signed it, run the RFC 9421 profile of
// functions/core/http-signatures/agency-policy.ts against the registry and the nonce table,
// and either hand the authenticated agency to the handler or answer with problem+json —
// 401 `unauthorized` naming the failed check, 403 `forbidden` (check `role`) for an
// authenticated agency without the route's role.
//
// What the signature covers, rebuilt from the event (the SDK signs exactly this):
//   @method      event.httpMethod
//   @target-uri  canonicalTargetUri (core/http-signatures/target-uri.ts) of
//                  scheme     last X-Forwarded-Proto value (API Gateway sets `https`); when
//                             absent `defaultScheme` (`http`: nothing proxied the request, as
//                             on the local platform)
//                  authority  the Host header (requestContext.domainName when absent)
//                  path       requestContext.path: the path the client addressed, stage
//                             (`/prod/...` on the execute-api host) or custom-domain base path
//                             included, as the local platform sets it too — or event.path with
//                             `pathSource: 'path'`, for a front end whose requestContext.path
//                             is not what clients address
//                  query      multiValueQueryStringParameters (API Gateway passes only decoded
//                             parameters), sorted by name and encoded again
//   fields       by lower-case name from multiValueHeaders/headers (API Gateway keeps the
//                client's case), several lines joined by `, `
//   body         event.body, base64-decoded when isBase64Encoded, else its UTF-8 bytes
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AGENCY_ROLES, type AgencyRole } from '#core/catalog/agency.ts';
import { isDemoPublicKey } from '#core/catalog/demo-keys.ts';
import {
  type AgencyAuthResult,
  authenticateAgencyRequest,
  canonicalTargetUri,
  DEFAULT_SKEW_SECONDS,
  type SignedRequest,
} from '#core/http-signatures/index.ts';
import type { ApiKeyRecord, ConfigStore } from '#ports/config-store.ts';
import type { NonceStore } from '#ports/nonce-store.ts';
import { problemResponse } from './problem.ts';
import { lowerCaseHeaders } from './request.ts';

export type RoleRequirement = AgencyRole | readonly AgencyRole[];

export interface AgencyAuthenticationOptions {
  config: Pick<ConfigStore, 'findApiKey'>;
  nonces: NonceStore;
  /** The platform clock; the system clock unless told. */
  now?: () => Date;
  /** Accepted distance of `created` from now, either way, in seconds; 300 unless told. */
  skewSeconds?: number;
  /**
   * The role (or any of the roles) the agency needs; a function picks it per event, for a
   * route group whose routes differ. None required when absent or undefined.
   */
  requiredRole?: RoleRequirement | ((event: APIGatewayProxyEvent) => RoleRequirement | undefined);
  /** Where the addressed path is read from; see the module comment. */
  pathSource?: 'request-context' | 'path';
  /** Scheme when no X-Forwarded-Proto arrived. */
  defaultScheme?: 'http' | 'https';
  /** Told about a registry or nonce-table failure, which is answered with a 503. */
  onDependencyError?: (error: unknown) => void;
  /**
   * Whether the stage takes demo data (ELICENSE_DEMO_DATA). Where it does not, a demo agency's
   * request key — whose private key anyone can derive (core/catalog/demo-keys.ts) — verifies
   * nothing, under any key id: registration refuses one now, but a record written before
   * (when only `prod` refused them) still holds it. No default: each caller decides.
   */
  demoData: 'allowed' | 'refused';
  /** Told when a demo key on record was refused, for the log; the caller learns nothing more. */
  onDemoKeyRefused?: (refused: { keyId: string; agency: string }) => void;
}

/** What a handler learns about the caller, from `event.requestContext.authorizer`. */
export interface AuthenticatedAgency {
  /** USCC of the agency. */
  agency: string;
  keyId: string;
  /** The RFC 7638 thumbprint of the key that verified, for audit events naming the caller's key. */
  keyThumbprint: string;
  roles: AgencyRole[];
}

export interface SignedRequestOptions {
  pathSource?: 'request-context' | 'path';
  defaultScheme?: 'http' | 'https';
}

class DependencyFailure extends Error {
  readonly code = 'AGENCY_AUTH_DEPENDENCY_FAILED';
  constructor(what: string, cause: unknown) {
    super(`${what} failed during request authentication`, { cause });
    this.name = 'DependencyFailure';
  }
}

/**
 * Authenticates one request for the roles a route needs: undefined when the agency may go on
 * (and `event.requestContext.authorizer` then names it), or the problem to answer with. The
 * router calls it before a route of an agency group; {@link agencyAuthentication} wraps it as
 * middy middleware.
 */
export type AgencyAuthenticator = (
  event: APIGatewayProxyEvent,
  requiredRoles: readonly AgencyRole[],
) => Promise<APIGatewayProxyResult | undefined>;

export function agencyAuthenticator(
  options: Omit<AgencyAuthenticationOptions, 'requiredRole'>,
): AgencyAuthenticator {
  const now = options.now ?? (() => new Date());
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const refuseDemoKeys = options.demoData !== 'allowed';
  const lookups = {
    async findKey(keyId: string) {
      let found: ApiKeyRecord | undefined;
      try {
        found = await options.config.findApiKey(keyId);
      } catch (error) {
        throw new DependencyFailure('the API-key lookup', error);
      }
      // Treated as no key on record, so the answer is the one of any key that does not verify
      // (core/http-signatures/agency-policy.ts): a forger learns nothing from it.
      if (found && refuseDemoKeys && isDemoPublicKey(found.key.publicJwk)) {
        options.onDemoKeyRefused?.({ keyId, agency: found.agency.uscc });
        return undefined;
      }
      return found;
    },
    async claimNonce(keyId: string, nonce: string, expiresAt: Date) {
      try {
        return await options.nonces.claim(keyId, nonce, expiresAt);
      } catch (error) {
        throw new DependencyFailure('the nonce claim', error);
      }
    },
  };

  return async (event, requiredRoles) => {
    let result: AgencyAuthResult;
    try {
      result = await authenticateAgencyRequest(
        signedRequestFromEvent(event, options),
        { now: now(), skewSeconds, requiredRoles },
        lookups,
      );
    } catch (error) {
      if (!(error instanceof DependencyFailure)) throw error;
      options.onDependencyError?.(error);
      return problemResponse(
        'dependency-unavailable',
        'The request could not be authenticated now; try again.',
      );
    }
    if (!result.ok) {
      return problemResponse(result.check === 'role' ? 'forbidden' : 'unauthorized', result.detail, {
        check: result.check,
      });
    }
    const authenticated: AuthenticatedAgency = {
      agency: result.agency,
      keyId: result.keyId,
      keyThumbprint: result.keyThumbprint,
      roles: result.roles.filter(isAgencyRole),
    };
    event.requestContext.authorizer = { ...authenticated };
    return undefined;
  };
}

/** Middleware authenticating agency requests signed with RFC 9421 (see the module comment). */
export function agencyAuthentication(
  options: AgencyAuthenticationOptions,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const authenticate = agencyAuthenticator(options);
  return {
    name: 'agencyAuthentication',
    async before(request) {
      const event = request.event;
      const requirement =
        typeof options.requiredRole === 'function' ? options.requiredRole(event) : options.requiredRole;
      const requiredRoles: readonly AgencyRole[] =
        requirement === undefined ? [] : typeof requirement === 'string' ? [requirement] : requirement;
      return authenticate(event, requiredRoles);
    },
  };
}

/** The caller a handler behind {@link agencyAuthentication} serves; undefined when unauthenticated. */
export function authenticatedAgency(event: APIGatewayProxyEvent): AuthenticatedAgency | undefined {
  const context = event.requestContext.authorizer as Record<string, unknown> | null | undefined;
  if (!context) return undefined;
  const { agency, keyId, keyThumbprint, roles } = context;
  if (
    typeof agency !== 'string' ||
    typeof keyId !== 'string' ||
    typeof keyThumbprint !== 'string' ||
    !Array.isArray(roles)
  ) {
    return undefined;
  }
  return { agency, keyId, keyThumbprint, roles: roles.filter(isAgencyRole) };
}

function isAgencyRole(role: unknown): role is AgencyRole {
  return (AGENCY_ROLES as readonly unknown[]).includes(role);
}

/** The request as the agency signed it (see the module comment). */
export function signedRequestFromEvent(
  event: APIGatewayProxyEvent,
  { pathSource = 'request-context', defaultScheme = 'http' }: SignedRequestOptions = {},
): SignedRequest {
  const headers = lowerCaseHeaders(event);
  const forwardedProto = (headers['x-forwarded-proto'] ?? [])
    .join(',')
    .split(',')
    .at(-1)
    ?.trim()
    .toLowerCase();
  const scheme = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : defaultScheme;
  const authority = headers.host?.at(-1)?.trim() || event.requestContext.domainName || '';
  const path = pathSource === 'path' ? event.path : event.requestContext.path || event.path;
  const query: [string, string][] = [];
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) query.push([name, value]);
    }
  } else {
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
      if (value !== undefined) query.push([name, value]);
    }
  }
  const body =
    event.body === null || event.body === undefined
      ? new Uint8Array()
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.httpMethod,
    targetUri: canonicalTargetUri({ scheme, authority, path, query }),
    headers,
    body,
  };
}
