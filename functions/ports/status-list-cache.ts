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
   * Claims the republishing of the copy signed at `of`: true for the first caller across every
   * container, false for each after it — so one container rebuilds an expired list while the
   * others serve the expired copy a moment longer.
   */
  claimRebuild(listId: string, of: Date): Promise<boolean>;
}
