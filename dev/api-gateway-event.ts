import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { binaryMediaTypes } from '#http/routes.ts';

// Turns a plain HTTP request into the REST API (v1) proxy event API Gateway would send, and
// a proxy result back into status, headers and body — so the local platform runs the very
// handlers that AWS runs.

export interface RequestInput {
  method: string;
  url: URL;
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
}

export function toProxyEvent(
  input: RequestInput,
  resource: string,
  pathParameters: Record<string, string>,
  stage: string,
): APIGatewayProxyEvent {
  // Names are the caller's: collected in Maps, then made own members of plain objects, as
  // Lambda's JSON parse of the event makes them — `__proto__` and `constructor` included.
  const headerLines = new Map<string, string[]>();
  for (let i = 0; i + 1 < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i]!;
    headerLines.set(name, [...(headerLines.get(name) ?? []), input.rawHeaders[i + 1]!]);
  }
  const queryValues = new Map<string, string[]>();
  for (const [name, value] of input.url.searchParams) {
    queryValues.set(name, [...(queryValues.get(name) ?? []), value]);
  }
  // Like API Gateway, a single-value map keeps the last value of each name.
  const lastOf = (lines: Map<string, string[]>) =>
    Object.fromEntries([...lines].map(([name, values]) => [name, values.at(-1)!]));
  const headers: Record<string, string> = lastOf(headerLines);
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(headerLines);
  const query: Record<string, string> = lastOf(queryValues);
  const multiQuery: Record<string, string[]> = Object.fromEntries(queryValues);
  const contentType = headerValue(headers, 'content-type');
  const binary = input.body.length > 0 && isBinary(contentType);
  const now = Date.now();
  return {
    resource,
    path: input.url.pathname,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body:
      input.body.length === 0 ? null : binary ? input.body.toString('base64') : input.body.toString('utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: input.url.host,
      domainPrefix: input.url.hostname,
      extendedRequestId: randomUUID(),
      httpMethod: input.method,
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
        sourceIp: input.sourceIp,
        user: null,
        userAgent: headerValue(headers, 'user-agent') ?? null,
        userArn: null,
      },
      // As behind a custom domain (the deployed setup): the path the client addressed, which
      // is what a request signature covers. On the execute-api host it would carry the stage.
      path: input.url.pathname,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
      stage,
    },
  };
}

export function lambdaContext(functionName: string, awsRequestId: string, timeoutMs = 10_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HttpResponse {
  status: number;
  headers: [string, string | string[]][];
  body: Buffer;
}

export function fromProxyResult(result: APIGatewayProxyResult): HttpResponse {
  const headers = new Map<string, string | string[]>();
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.set(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers.set(name, values.map(String));
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode, headers: [...headers], body };
}

export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function isBinary(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return binaryMediaTypes.some((pattern) =>
    pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern,
  );
}
