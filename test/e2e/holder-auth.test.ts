import { describe, expect, inject, it } from 'vitest';
import { DEMO_HOLDER_ACCOUNTS, DEV_HOLDER_CLIENT_ID } from '#dev/demo/holder-accounts.ts';
import { asHolder, mintHolderToken } from './support/holder-tokens.ts';

// Holder authentication over HTTP: the development OIDC issuer of `npm start` (discovery, keys,
// token endpoint) and the holder routes' refusal of every token that is not a current access
// token of this issuer for this client.
const endpoint = inject('platformUrl');
const issuer = `${endpoint}/dev-oidc`;

const me = (authorization?: string) =>
  fetch(`${endpoint}/holder/me`, authorization ? { headers: { authorization } } : {});

describe('development OIDC issuer', () => {
  it('publishes discovery and keys where Cognito does', async () => {
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/token`,
    });
    const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('refuses a wrong password and an unknown client', async () => {
    const token = (form: Record<string, string>) =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', ...form }),
      });
    const wrongPassword = await token({
      client_id: DEV_HOLDER_CLIENT_ID,
      username: 'zhangweiming',
      password: 'x',
    });
    expect(wrongPassword.status).toBe(400);
    expect(await wrongPassword.json()).toMatchObject({ error: 'invalid_grant' });
    const wrongClient = await token({
      client_id: 'other',
      username: 'zhangweiming',
      password: 'demo-zhangweiming',
    });
    expect(wrongClient.status).toBe(401);
  });
});

describe('holder routes', () => {
  it('know the holder an access token of the issuer names', async () => {
    const response = await fetch(`${endpoint}/holder/me`, { headers: await asHolder('lixiaoyan') });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ account: DEMO_HOLDER_ACCOUNTS.liXiaoyan.account });
  });

  it('refuse a request without a token, with the RFC 6750 challenge', async () => {
    const response = await me();
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_request"/);
  });

  const now = Math.floor(Date.now() / 1000);
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['an expired token', () => mintHolderToken({ iat: now - 7200, exp: now - 3600 }), /expired/],
    [
      'a token for another client',
      () => mintHolderToken({ aud: 'another-app', client_id: 'another-app' }),
      /client/,
    ],
    ['a token of another issuer', () => mintHolderToken({ iss: 'https://idp.example.com' }), /iss/],
    ['an ID token', () => mintHolderToken({ token_use: 'id' }), /access token/],
    ['a token without a subject', () => mintHolderToken({ sub: undefined }), /sub/],
  ];
  for (const [what, token, detail] of refusals) {
    it(`refuse ${what}`, async () => {
      const response = await me(`Bearer ${await token()}`);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    });
  }

  it('refuse a token whose signature was altered', async () => {
    const token = await mintHolderToken({});
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    const response = await me(`Bearer ${header}.${payload}.${flipped}`);
    expect(response.status).toBe(401);
  });

  it('refuse a token for a holder route sent to an agency route', async () => {
    const response = await fetch(`${endpoint}/retrievals`, {
      method: 'POST',
      headers: { ...(await asHolder('zhangweiming')), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
  });
});
