import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticatedHolder, holderAuthenticator } from '#http/holder-auth.ts';

// The access-token profile of holder routes, without any network: keys from a local JWKS.
const ISSUER = 'https://cognito-idp.cn-north-1.amazonaws.com/cn-north-1_Example';
const CLIENT = 'holder-app-client';
const NOW = new Date('2026-11-27T08:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let authenticate: ReturnType<typeof holderAuthenticator>;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const keys = createLocalJWKSet({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }],
  });
  authenticate = holderAuthenticator({ issuer: ISSUER, audience: CLIENT, keys, now: () => NOW });
});

/** A Cognito-shaped access token (no `aud`, `client_id` instead) unless the claims say otherwise. */
const token = (claims: JWTPayload = {}, header: Record<string, unknown> = {}) =>
  new SignJWT({
    token_use: 'access',
    client_id: CLIENT,
    iss: ISSUER,
    sub: 'account-1',
    iat: nowSeconds - 60,
    exp: nowSeconds + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
    .sign(privateKey);

const event = (authorization?: string) =>
  ({
    headers: authorization ? { Authorization: authorization } : {},
    requestContext: {},
  }) as unknown as APIGatewayProxyEvent;

async function refusal(authorization?: string): Promise<string> {
  const answer = await authenticate(event(authorization));
  expect(answer?.statusCode).toBe(401);
  return (JSON.parse(answer!.body) as { detail: string }).detail;
}

describe('holder access tokens', () => {
  it('accept a Cognito access token and name its subject', async () => {
    const request = event(`Bearer ${await token()}`);
    expect(await authenticate(request)).toBeUndefined();
    expect(authenticatedHolder(request)).toEqual({ account: 'account-1' });
  });

  it('accept an RFC 9068 access token (typ at+jwt, aud) without token_use', async () => {
    const jwt = await token(
      { token_use: undefined, client_id: undefined, aud: [CLIENT, 'other'] },
      { typ: 'at+jwt' },
    );
    expect(await authenticate(event(`Bearer ${jwt}`))).toBeUndefined();
  });

  it('refuse an ID token, and a JWT that says neither token_use nor at+jwt', async () => {
    expect(await refusal(`Bearer ${await token({ token_use: 'id', aud: CLIENT })}`)).toMatch(
      /token_use "id"/,
    );
    expect(await refusal(`Bearer ${await token({ token_use: undefined })}`)).toMatch(/typ "none"/);
  });

  it('refuse another client, another issuer, an expired token and one without iat', async () => {
    expect(await refusal(`Bearer ${await token({ client_id: 'other' })}`)).toMatch(/client_id "other"/);
    expect(await refusal(`Bearer ${await token({ client_id: undefined })}`)).toMatch(
      /neither aud nor client_id/,
    );
    expect(await refusal(`Bearer ${await token({ aud: 'other' })}`)).toMatch(/aud "other"/);
    expect(await refusal(`Bearer ${await token({ iss: `${ISSUER}x` })}`)).toMatch(/iss/);
    expect(await refusal(`Bearer ${await token({ exp: nowSeconds - 31 })}`)).toMatch(/expired/);
    expect(await refusal(`Bearer ${await token({ iat: undefined })}`)).toMatch(/iat/);
  });

  it('tolerate 30 s of clock difference, and no more', async () => {
    expect(await authenticate(event(`Bearer ${await token({ exp: nowSeconds - 29 })}`))).toBeUndefined();
    expect(await refusal(`Bearer ${await token({ nbf: nowSeconds + 31 })}`)).toMatch(/nbf/);
  });

  it('refuse an unsigned token and one with a key the issuer does not publish', async () => {
    const [, payload] = (await token()).split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(await refusal(`Bearer ${none}`)).toMatch(/not a well-formed|algorithm/);
    expect(await refusal(`Bearer ${await token({}, { kid: 'k2' })}`)).toMatch(
      /not one the identity provider publishes/,
    );
  });

  it('refuse a missing header, another scheme and garbage, with the RFC 6750 challenge', async () => {
    const answer = await authenticate(event());
    expect(answer?.headers?.['www-authenticate']).toMatch(/^Bearer error="invalid_request"/);
    expect(await refusal('Basic dXNlcjpwYXNz')).toMatch(/Bearer access token/);
    expect(await refusal('Bearer not-a-jwt')).toMatch(/well-formed/);
  });

  it('refuse two Authorization lines with 400 REPEATED_HEADER, whichever of them holds the valid token', async () => {
    const valid = `Bearer ${await token()}`;
    for (const lines of [
      ['Bearer x', valid],
      [valid, 'Bearer x'],
    ]) {
      // As API Gateway delivers it: `headers` keeps the last line, `multiValueHeaders` every one.
      const request = {
        headers: { Authorization: lines[1] },
        multiValueHeaders: { Authorization: lines },
        requestContext: {},
      } as unknown as APIGatewayProxyEvent;
      const answer = await authenticate(request);
      expect(answer?.statusCode).toBe(400);
      expect(answer?.headers?.['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer!.body)).toMatchObject({
        type: 'urn:elicense:problem:bad-request',
        code: 'REPEATED_HEADER',
        header: 'authorization',
      });
      expect(authenticatedHolder(request)).toBeUndefined();
    }
  });

  it('answer 503 when the identity provider keys cannot be fetched, and say so', async () => {
    const errors: unknown[] = [];
    const unreachable = holderAuthenticator({
      issuer: ISSUER,
      audience: CLIENT,
      keys: async () => {
        throw new TypeError('fetch failed');
      },
      onDependencyError: (error) => errors.push(error),
    });
    const answer = await unreachable(event(`Bearer ${await token()}`));
    expect(answer?.statusCode).toBe(503);
    expect(errors).toHaveLength(1);
  });
});

describe('the identity provider’s keys', () => {
  it('are fetched from the JWKS URI given, where the provider does not publish them at <issuer>/.well-known/jwks.json', async () => {
    // A Keycloak-shaped provider: its keys at /protocol/openid-connect/certs, nothing at the
    // Cognito path.
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'kc', alg: 'ES256' }],
    });
    const requested: string[] = [];
    const server = createServer((request, response) => {
      requested.push(request.url ?? '');
      if (request.url === '/realms/citizens/protocol/openid-connect/certs') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/citizens`;
      const jwt = await new SignJWT({
        token_use: 'access',
        client_id: CLIENT,
        sub: 'account-kc',
        iat: nowSeconds - 60,
        exp: nowSeconds + 3600,
      })
        .setIssuer(base)
        .setProtectedHeader({ alg: 'ES256', kid: 'kc' })
        .sign(pair.privateKey);
      const keycloak = holderAuthenticator({
        issuer: base,
        audience: CLIENT,
        jwksUri: `${base}/protocol/openid-connect/certs`,
        now: () => NOW,
      });
      const request = event(`Bearer ${jwt}`);
      expect(await keycloak(request)).toBeUndefined();
      expect(authenticatedHolder(request)).toEqual({ account: 'account-kc' });
      expect(requested).toEqual(['/realms/citizens/protocol/openid-connect/certs']);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
