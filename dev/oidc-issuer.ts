import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { privateDirectory } from './data-dir.ts';
import {
  DEMO_HOLDER_ACCOUNTS,
  DEV_HOLDER_CLIENT_ID,
  type DemoHolderAccount,
} from './demo/holder-accounts.ts';

// The development OIDC issuer of `npm start`: the local stand-in for the Cognito user pool that
// authenticates holders on AWS. It is served by the local server under /dev-oidc and never
// exists in the AWS stack. It publishes discovery and its keys where Cognito does
// (`<issuer>/.well-known/openid-configuration`, `<issuer>/.well-known/jwks.json`) and issues
// access tokens shaped like Cognito's (token_use, client_id, username) plus `aud` and
// typ `at+jwt` (RFC 9068) — to the seeded demo accounts, by the resource-owner password grant
// (RFC 6749 §4.3), which is fine for a laptop and nowhere else.

export const DEV_OIDC_PATH = '/dev-oidc';
const TOKEN_LIFETIME_SECONDS = 3600;

export interface DevRouteResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface DevOidcIssuer {
  /** Absolute issuer URL, once the server knows where it listens. */
  issuer(): string;
  audience: string;
  /** Answers a request under {@link DEV_OIDC_PATH}. */
  handle(method: string, url: URL, body: Buffer): Promise<DevRouteResponse>;
  /** An access token for a demo account, as the token endpoint would issue it. */
  accessToken(account: DemoHolderAccount, overrides?: JWTPayload): Promise<string>;
}

/** The issuer's signing key: made on first start under the data folder, reused after. */
export async function devOidcSigningKey(dataDir: string): Promise<JWK & { kid: string }> {
  const file = join(dataDir, 'oidc', 'signing-key.jwk.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK & { kid: string };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const key = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
  await privateDirectory(dirname(file));
  await writeFile(file, `${JSON.stringify(key)}\n`, { mode: 0o600 });
  return key;
}

export async function openDevOidcIssuer(options: {
  dataDir: string;
  /** The local server's base URL, known once it listens. */
  baseUrl: () => string;
  accounts?: readonly DemoHolderAccount[];
}): Promise<DevOidcIssuer> {
  const jwk = await devOidcSigningKey(options.dataDir);
  const signingKey = await importJWK(jwk, 'ES256');
  const { d: _private, ...publicJwk } = jwk;
  const accounts = options.accounts ?? Object.values(DEMO_HOLDER_ACCOUNTS);
  const issuer = () => `${options.baseUrl()}${DEV_OIDC_PATH}`;

  const accessToken = (account: DemoHolderAccount, overrides: JWTPayload = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      token_use: 'access',
      client_id: DEV_HOLDER_CLIENT_ID,
      username: account.username,
      scope: 'openid elicense/holder',
      auth_time: now,
      iss: issuer(),
      sub: account.account,
      aud: DEV_HOLDER_CLIENT_ID,
      iat: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
      jti: crypto.randomUUID(),
      ...overrides,
    })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'at+jwt' })
      .sign(signingKey);
  };

  return {
    issuer,
    audience: DEV_HOLDER_CLIENT_ID,
    accessToken,
    async handle(method, url, body) {
      const path = url.pathname.slice(DEV_OIDC_PATH.length);
      if (method === 'GET' && path === '/.well-known/openid-configuration') {
        return json(200, {
          issuer: issuer(),
          jwks_uri: `${issuer()}/.well-known/jwks.json`,
          token_endpoint: `${issuer()}/token`,
          grant_types_supported: ['password'],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          token_endpoint_auth_methods_supported: ['none'],
        });
      }
      if (method === 'GET' && path === '/.well-known/jwks.json') return json(200, { keys: [publicJwk] });
      if (method === 'POST' && path === '/token') {
        const form = new URLSearchParams(body.toString('utf8'));
        if (form.get('grant_type') !== 'password') {
          return oauthError(
            'unsupported_grant_type',
            'this development issuer grants only grant_type=password',
          );
        }
        if (form.get('client_id') !== DEV_HOLDER_CLIENT_ID) {
          return oauthError('invalid_client', `expected client_id ${DEV_HOLDER_CLIENT_ID}`, 401);
        }
        const account = accounts.find((a) => a.username === form.get('username'));
        if (!account || account.password !== form.get('password')) {
          return oauthError('invalid_grant', 'unknown username or wrong password');
        }
        return json(200, {
          access_token: await accessToken(account),
          token_type: 'Bearer',
          expires_in: TOKEN_LIFETIME_SECONDS,
        });
      }
      return json(404, { error: 'not_found', error_description: `no ${method} ${url.pathname} here` });
    },
  };
}

function json(status: number, value: unknown): DevRouteResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(value),
  };
}

/** RFC 6749 §5.2 error response. */
function oauthError(error: string, description: string, status = 400): DevRouteResponse {
  return json(status, { error, error_description: description });
}
