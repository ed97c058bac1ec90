// How long a request of the SDK may take: the caller's AbortSignal, a timeout, both or neither.
// fetch has no timeout of its own, so without one a platform that never answers holds the
// caller for ever.

/** Ways to give up on a request; a request aborted either way rejects (TimeoutError, AbortError). */
export interface RequestControl {
  /** Aborts the request when it aborts. */
  signal?: AbortSignal;
  /** Aborts the request, its answer's body included, when not done within this many milliseconds. */
  timeoutMs?: number;
}

/** The signal to hand fetch for `control`; undefined when nothing may abort the request. */
export function requestSignal({ signal, timeoutMs }: RequestControl): AbortSignal | undefined {
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  if (signal !== undefined && timeout !== undefined) return AbortSignal.any([signal, timeout]);
  return signal ?? timeout;
}
