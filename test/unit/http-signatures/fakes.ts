// In-memory stand-ins for the registry and the nonce table, and a builder of the API Gateway
// REST proxy events AWS sends, for the request-authentication tests.

import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Agency } from '#core/catalog/agency.ts';
import type { ApiKeyRecord, ConfigStore } from '#ports/config-store.ts';
import type { NonceStore } from '#ports/nonce-store.ts';

/** ConfigStore.findApiKey over a list of agencies; counts lookups; can be told to fail. */
export class MemoryKeyRegistry implements Pick<ConfigStore, 'findApiKey'> {
  readonly lookups: string[] = [];
  failure: Error | undefined;
  readonly #records = new Map<string, ApiKeyRecord>();

  constructor(agencies: readonly Agency[]) {
    for (const agency of agencies) {
      for (const key of agency.apiKeys) this.#records.set(key.keyId, { agency, key, agencyVersion: 1 });
    }
  }

  /** Stores a record as given, even one whose agency does not list the key (a stale lookup item). */
  put(record: ApiKeyRecord): void {
    this.#records.set(record.key.keyId, record);
  }

  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    this.lookups.push(keyId);
    if (this.failure) throw this.failure;
    return this.#records.get(keyId);
  }
}

/** NonceStore in memory: a claim is refused while an earlier one of the same key and nonce lives. */
export class MemoryNonceStore implements NonceStore {
  readonly claims: { keyId: string; nonce: string; expiresAt: Date }[] = [];
  readonly #live = new Map<string, number>();
  failure: Error | undefined;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  async claim(keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    if (this.failure) throw this.failure;
    this.claims.push({ keyId, nonce, expiresAt });
    const key = `${keyId}#${nonce}`;
    const until = this.#live.get(key);
    if (until !== undefined && until > this.#now()) return false;
    this.#live.set(key, expiresAt.getTime());
    return true;
  }
}

export interface ApiGatewayRequest {
  method: string;
  /** The URL the client called. */
  url: string;
  /** Header lines as the client sent them (case kept, a name may repeat). */
  headers: [string, string][];
  body?: Uint8Array;
  /** Passed base64-encoded, as API Gateway does for binary media types. */
  binary?: boolean;
  /** The stage API Gateway strips from event.path; the URL's path must start with it. */
  stage?: string;
}

/**
 * The REST (v1) proxy event API Gateway builds for a request to its execute-api endpoint:
 * headers keep their case, X-Forwarded-Proto is added, event.path lacks the stage that
 * requestContext.path keeps, query parameters arrive decoded.
 */
export function apiGatewayEvent(request: ApiGatewayRequest): APIGatewayProxyEvent {
  const url = new URL(request.url);
  const stage = request.stage ?? 'prod';
  if (!url.pathname.startsWith(`/${stage}/`))
    throw new Error(`expected a path under /${stage}/, found ${url.pathname}`);
  const lines: [string, string][] = [...request.headers, ['X-Forwarded-Proto', url.protocol.slice(0, -1)]];
  if (!lines.some(([name]) => name.toLowerCase() === 'host')) lines.unshift(['Host', url.host]);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of lines) {
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const body = request.body && request.body.length > 0 ? Buffer.from(request.body) : undefined;
  const path = url.pathname.slice(stage.length + 1);
  return {
    resource: path,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : request.binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body !== undefined && request.binary === true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: null,
      domainName: url.host,
      domainPrefix: url.hostname.split('.')[0]!,
      extendedRequestId: 'ext-1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: null,
        userArn: null,
      },
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'res',
      resourcePath: path,
      stage,
    },
  };
}
