// An agency's usage key: the API Gateway API key (`x-api-key`) by which the stage's usage plan
// throttles and caps the agency's requests. It only meters — the RFC 9421 signature still
// authenticates every request. On AWS a key on the stage's usage plan; the local platform has
// no API Gateway and so no keys.

/** A key just made: its id, and its value, which is shown once and never read back. */
export interface UsageKey {
  id: string;
  value: string;
}

export interface UsageKeys {
  /**
   * A new key for the agency, on the stage's usage plan and usable at once; undefined when the
   * stage meters agencies by no usage plan.
   */
  issue(agency: string): Promise<UsageKey | undefined>;
  /** The ids of the agency's keys on the plan (none without a plan). */
  list(agency: string): Promise<string[]>;
  /** Takes a key off the plan, so API Gateway refuses requests carrying it; done if it is off already. */
  withdraw(keyId: string): Promise<void>;
}
