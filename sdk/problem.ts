// What the platform answers when it refuses or fails a request: RFC 9457 problem details,
// with the platform's extensions (`code` of the domain error, `errors` per field, `check` of
// a failed authentication). One error class for every client of the SDK.

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
      `${status} ${problem.type}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? problem.title}`,
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

/** The JSON body of a 2xx answer; a PlatformProblemError (naming `sent`'s key) for anything else. */
export async function answerOf<T>(response: Response, sent: SentWith = {}): Promise<T> {
  const text = await response.text();
  if (!response.ok) {
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = { type: 'about:blank', title: response.statusText, status: response.status, detail: text };
    }
    throw new PlatformProblemError(response.status, problem, sent);
  }
  return JSON.parse(text) as T;
}
