// How long a request sent again under its Idempotency-Key is the same request: the idempotency
// record's life (adapters/aws/idempotency.ts), the functions' deadlines (lib/constructs), and the
// use cases that meet a write by the digest it keeps of its request key (app/request-digest.ts)
// all read it here, so the three cannot drift apart.

/**
 * How long an Idempotency-Key's record is kept: a day covers every client retry policy we know
 * of, and the records are small. A retry after that is a new request.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** The Lambda timeout of an API route group's function, unless the group is given its own. */
export const API_FUNCTION_TIMEOUT_SECONDS = 10;

/** The status group's timeout: it may rebuild a large status list on the request path. */
export const STATUS_FUNCTION_TIMEOUT_SECONDS = 25;

/**
 * How long after its write a kept request digest may still name a retry of the request that
 * made it: the record is kept the TTL from when the answer is saved, at the latest the function's
 * deadline after the write. Past that a repeat meets no record, and a digest honoured would
 * answer a client reusing a key (an order number, `suspend-<case>`) weeks later with what its old
 * request did, doing nothing.
 */
export const RERUN_WINDOW_MS =
  (IDEMPOTENCY_TTL_SECONDS + Math.max(API_FUNCTION_TIMEOUT_SECONDS, STATUS_FUNCTION_TIMEOUT_SECONDS)) * 1000;

/** Whether a write made at `at` (an ISO time) under a request key may be met by its re-run at `now`. */
export function withinRerunWindow(at: string, now: Date): boolean {
  return now.getTime() - Date.parse(at) <= RERUN_WINDOW_MS;
}
