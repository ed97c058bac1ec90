// Why POST /verify gives no verdict. Kept apart from verify-license.ts so that the shared
// problem mapping (in every function's bundle) does not bring the SD-JWT VC verifier along.

/**
 * The issuer's key or the license's status could not be read, or the verification could not be
 * recorded in the audit log (a store or the key service failed), so there is no verdict: a 503,
 * never "invalid". The message is for anyone; the failure itself is the `cause`, for the logs
 * only — an AccessDenied names roles, accounts, keys and tables.
 */
export class VerificationUnavailable extends Error {
  readonly code = 'VERIFICATION_UNAVAILABLE';
  /** `problem`: what failed, in words fit for anyone, e.g. "the issuer key could not be read". */
  constructor(problem: string, cause: unknown) {
    super(`${problem} just now, so there is no verdict; try again`, { cause });
    this.name = 'VerificationUnavailable';
  }
}
