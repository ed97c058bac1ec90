import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { inject } from 'vitest';
import { DEMO_HOLDER_ACCOUNTS, DEV_HOLDER_CLIENT_ID } from '#dev/demo/holder-accounts.ts';
import { devOidcSigningKey } from '#dev/oidc-issuer.ts';

// Holder access tokens for e2e tests: real ones from the development OIDC issuer's token
// endpoint, and hand-made ones (expired, another audience, an ID token…) signed with the
// issuer's own key from the platform's data folder, to prove each refusal.

export type DemoUsername = (typeof DEMO_HOLDER_ACCOUNTS)[keyof typeof DEMO_HOLDER_ACCOUNTS]['username'];

/** A token from the token endpoint, exactly as a holder app would obtain it. */
export async function holderToken(username: DemoUsername): Promise<string> {
  const account = Object.values(DEMO_HOLDER_ACCOUNTS).find((a) => a.username === username)!;
  const response = await fetch(`${inject('platformUrl')}/dev-oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: DEV_HOLDER_CLIENT_ID,
      username,
      password: account.password,
    }),
  });
  if (response.status !== 200)
    throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** `Authorization` header of a holder request. */
export async function asHolder(username: DemoUsername): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await holderToken(username)}` };
}

/**
 * A token signed by the development issuer's key with the given claims over a valid access
 * token's; `header` replaces fields of the protected header.
 */
export async function mintHolderToken(
  claims: JWTPayload,
  header: Record<string, unknown> = {},
  account: { account: string } = DEMO_HOLDER_ACCOUNTS.zhangWeiming,
): Promise<string> {
  const jwk = await devOidcSigningKey(inject('platformDataDir'));
  const key = await importJWK(jwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    token_use: 'access',
    client_id: DEV_HOLDER_CLIENT_ID,
    aud: DEV_HOLDER_CLIENT_ID,
    iss: `${inject('platformUrl')}/dev-oidc`,
    sub: account.account,
    iat: now,
    exp: now + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'at+jwt', ...header })
    .sign(key);
}
