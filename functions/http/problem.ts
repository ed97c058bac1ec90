import type { APIGatewayProxyResult } from 'aws-lambda';

// RFC 9457 problem details. Every non-2xx response of the platform is one of these types;
// the `type` URI is stable and documented in the OpenAPI description, the `detail` says
// what was expected and what was found, and no stack trace ever leaves the process.

export const problemTypes = {
  'bad-request': { status: 400, title: 'The request is malformed' },
  'validation-failed': { status: 400, title: 'The request does not match its schema' },
  unauthorized: { status: 401, title: 'The request is not authenticated' },
  forbidden: { status: 403, title: 'The caller may not do this' },
  'identity-not-proofed': {
    status: 403,
    title: 'The holder account is not bound to a proofed identity; complete an identity proofing first',
  },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'The resource does not support this method' },
  // The local server's HTTP parser (dev/server.ts): a request that took too long to arrive.
  'request-timeout': { status: 408, title: 'The request did not arrive in time' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body has an unsupported media type' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used with another request' },
  'too-many-attempts': { status: 429, title: 'Too many failed attempts; try again later' },
  // API Gateway's own answers (lib/constructs/gateway-problems.ts): a usage plan's throttle or
  // quota, and a function that did not answer in time.
  'rate-limited': { status: 429, title: 'Too many requests; slow down and try again' },
  // The local server's HTTP parser (dev/server.ts); API Gateway answers oversized headers itself.
  'request-header-fields-too-large': { status: 431, title: 'The request headers are too large' },
  'internal-error': { status: 500, title: 'The platform failed to handle the request' },
  'not-implemented': { status: 501, title: 'The platform does not do this yet on this stage' },
  'dependency-unavailable': { status: 503, title: 'A service the platform depends on is unavailable' },
  timeout: { status: 504, title: 'The platform did not answer in time' },
} as const;

export type ProblemType = keyof typeof problemTypes;

export const PROBLEM_TYPE_BASE = 'urn:elicense:problem:';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that is already an HTTP problem; anything else thrown becomes `internal-error`. */
export class HttpProblem extends Error {
  readonly problemType: ProblemType;
  readonly extensions: Record<string, unknown>;

  constructor(type: ProblemType, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'HttpProblem';
    this.problemType = type;
    this.extensions = extensions;
  }

  get status(): number {
    return problemTypes[this.problemType].status;
  }
}

export function problemDocument(
  type: ProblemType,
  detail?: string,
  extensions: Record<string, unknown> = {},
): ProblemDocument {
  const { status, title } = problemTypes[type];
  // The RFC 9457 members last, so that no extension member can stand in for them (a `status`
  // member once did, and the response's status code was a word).
  return { ...extensions, type: `${PROBLEM_TYPE_BASE}${type}`, title, status, ...(detail ? { detail } : {}) };
}

export function problemResponse(
  type: ProblemType,
  detail?: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  const document = problemDocument(type, detail, extensions);
  return {
    statusCode: document.status,
    headers: { 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(document),
  };
}

/** Maps anything thrown by a route to its problem response, in this one place. */
export function toProblemResponse(error: unknown, requestId?: string): APIGatewayProxyResult {
  if (error instanceof HttpProblem) {
    // RFC 9110 §10.2.3: a 429 (or 503) says when to come back, in seconds.
    const { retryAfter } = error.extensions;
    const headers: Record<string, string> =
      typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {};
    return problemResponse(error.problemType, error.message, error.extensions, headers);
  }
  return problemResponse(
    'internal-error',
    'An unexpected error occurred; it has been logged.',
    requestId ? { requestId } : {},
  );
}
