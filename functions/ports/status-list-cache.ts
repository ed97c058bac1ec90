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
}
