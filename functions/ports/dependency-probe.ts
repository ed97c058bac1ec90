/** A dependency whose reachability the health endpoint reports: a table, a bucket, a key. */
export interface DependencyProbe {
  /** Stable name in the health report, e.g. `dynamodb`. */
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(signal: AbortSignal): Promise<void>;
}
