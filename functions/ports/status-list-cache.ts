/** A published Status List Token, kept where GET /status-lists/{id} serves it from. */
export interface PublishedStatusList {
  token: string;
  /** When it was signed; it is republished once `ttl` seconds have passed. */
  issuedAt: Date;
}

/** Where signed status lists are kept between publications (the public bucket on AWS). */
export interface StatusListCache {
  get(listId: string): Promise<PublishedStatusList | undefined>;
  put(listId: string, published: PublishedStatusList): Promise<void>;
  /**
   * Claims the republishing of the copy signed at `of`, in `round` (0 in the first minute after it
   * expired, then one more a minute): true for the first caller across every container, false for
   * each after it — so one container rebuilds an expired list while the others wait for it.
   */
  claimRebuild(listId: string, of: Date, round: number): Promise<boolean>;
}
