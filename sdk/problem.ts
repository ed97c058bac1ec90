// What the platform answers when it refuses or fails a request: RFC 9457 problem details,
// with the platform's extensions (`code` of the domain error, `errors` per field, `check` of
// a failed authentication). One error class for every refusal, of every client of the SDK,
// and one each for no answer and for a 2xx answer that is not JSON.
import { STATUS_CODES } from 'node:http';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  /** One entry per bad field: `path` (e.g. `data.性别`), the message, and a code or field name where known. */
  errors?: { path: string; message: string; code?: string; field?: string }[];
  [extension: string]: unknown;
}

/** What a request was sent with that a retry needs again. */
export interface SentWith {
  /** The Idempotency-Key of a POST: a retry under it is the same operation, not a second one. */
  idempotencyKey?: string;
}

/** The platform refused or failed a request; `problem` is its problem+json body. */
export class PlatformProblemError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** The Idempotency-Key the request carried; send it again to retry (e.g. after a 503). */
  readonly idempotencyKey: string | undefined;
  constructor(status: number, problem: Problem, sent: SentWith = {}) {
    super(
      `${status} ${problem.type}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail || problem.title}`,
    );
    this.name = 'PlatformProblemError';
    this.status = status;
    this.problem = problem;
    this.idempotencyKey = sent.idempotencyKey;
  }
}

/**
 * No answer came (network error, or the request was aborted): the platform may or may not have
 * done the work, so a POST is retried only under the `idempotencyKey` it was sent with.
 */
export class PlatformUnreachableError extends Error {
  readonly idempotencyKey: string | undefined;
  constructor(cause: unknown, sent: SentWith = {}) {
    super(
      `the platform could not be reached: ${(cause as Error)?.message ?? String(cause)}${
        sent.idempotencyKey === undefined ? '' : `; retry with idempotencyKey ${sent.idempotencyKey}`
      }`,
      { cause },
    );
    this.name = 'PlatformUnreachableError';
    this.idempotencyKey = sent.idempotencyKey;
  }
}

/**
 * A 2xx answer without the JSON body every route answers with (empty, or not JSON): something
 * between the client and the platform changed it, so what the platform did is not known.
 */
export class UnexpectedAnswerError extends Error {
  readonly status: number;
  constructor(status: number, text: string) {
    super(
      `the platform answered ${status} without a JSON body${text === '' ? '' : `: ${text.slice(0, 300)}`}`,
    );
    this.name = 'UnexpectedAnswerError';
    this.status = status;
  }
}

/** The JSON body of a 2xx answer; a PlatformProblemError (naming `sent`'s key) for anything else. */
export async function answerOf<T>(response: Response, sent: SentWith = {}): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new PlatformProblemError(response.status, problemOf(response, text), sent);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UnexpectedAnswerError(response.status, text);
  }
}

/**
 * The problem an error answer carries, its `status` and `title` those of the answer where it
 * gives none. Not every error comes from the platform: API Gateway
 * answers throttling, a missing usage key or a WAF block with `{"message": …}`, a proxy with a
 * page; those become an `about:blank` problem (RFC 9457 § 4.2) of the answer's status whose
 * detail is the message, or the text.
 */
function problemOf(response: Response, text: string): Problem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined;
  const title = response.statusText || STATUS_CODES[response.status] || `HTTP ${response.status}`;
  if (fields !== undefined && typeof (fields as Problem).type === 'string') {
    // API Gateway's DEFAULT_4XX and DEFAULT_5XX templates cover many statuses, so they cannot
    // name one (lib/constructs/gateway-problems.ts): the answer's own fills what the body lacks.
    const problem = fields as Partial<Problem> & { type: string };
    return {
      ...problem,
      title: typeof problem.title === 'string' ? problem.title : title,
      status: typeof problem.status === 'number' ? problem.status : response.status,
    };
  }
  const message = (fields as { message?: unknown } | undefined)?.message;
  const detail = typeof message === 'string' ? message : text;
  return { type: 'about:blank', title, status: response.status, ...(detail === '' ? {} : { detail }) };
}
