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

/** The platform refused or failed a request; `problem` is its problem+json body. */
export class PlatformProblemError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(
      `${status} ${problem.type}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? problem.title}`,
    );
    this.name = 'PlatformProblemError';
    this.status = status;
    this.problem = problem;
  }
}

/** The JSON body of a 2xx answer; a PlatformProblemError for anything else. */
export async function answerOf<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) {
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = { type: 'about:blank', title: response.statusText, status: response.status, detail: text };
    }
    throw new PlatformProblemError(response.status, problem);
  }
  return JSON.parse(text) as T;
}
