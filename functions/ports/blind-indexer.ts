/** Turns a holder identity into the token the holder index is keyed on, without storing the code. */
export interface BlindIndexer {
  /**
   * A stable base64url token for (holder code type, holder code), e.g. ('111',
   * '330102199003071230'): equal after trimming, upper-casing and NFC → equal tokens; tokens
   * of different keys are unrelated.
   */
  tokenFor(holderCodeType: string, holderCode: string): Promise<string>;
}
