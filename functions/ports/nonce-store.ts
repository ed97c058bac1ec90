// Request-signature nonces (RFC 9421 `nonce`): each may be used once per signing key while the
// request could still be accepted. Claiming is one atomic conditional write, so when two
// copies of a request arrive together exactly one claim succeeds.

export interface NonceStore {
  /**
   * Claims `nonce` for `keyId` until `expiresAt` (when `created` falls outside the allowed
   * skew, after which the request is refused anyway). True when the nonce was new; false
   * when it was already claimed and has not expired: a replay.
   */
  claim(keyId: string, nonce: string, expiresAt: Date): Promise<boolean>;
}
