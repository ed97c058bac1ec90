// Typed failures shared by the key adapters (KMS and the local key vault), each with a stable
// `code` for logs and the problem+json mapping. All of them are the platform's fault or an
// integrity incident, never the caller's: they map to 500s, and a FieldDecryptionFailed is
// worth an alarm.

/** A key reference this key store cannot resolve (a `local:` ref on AWS, a KMS ARN locally). */
export class UnsupportedKeyRef extends Error {
  readonly code = 'UNSUPPORTED_KEY_REF';
  readonly keyRef: string;
  constructor(keyRef: string, expected: string) {
    super(`expected ${expected}, found key reference ${JSON.stringify(keyRef)}`);
    this.name = 'UnsupportedKeyRef';
    this.keyRef = keyRef;
  }
}

/** The key exists but cannot make ES256 signatures (wrong key spec, usage or algorithms). */
export class SigningKeyUnsuitable extends Error {
  readonly code = 'SIGNING_KEY_UNSUITABLE';
  readonly keyRef: string;
  constructor(keyRef: string, reason: string) {
    super(`expected an ECC_NIST_P256 SIGN_VERIFY key offering ECDSA_SHA_256 for ${keyRef}; ${reason}`);
    this.name = 'SigningKeyUnsuitable';
    this.keyRef = keyRef;
  }
}

/**
 * The key can no longer be used: disabled, pending deletion or deleted in the key service. Not an
 * outage — it will not come back by retrying — so what it signed no longer verifies, and it is
 * no longer published.
 */
export class SigningKeyWithdrawn extends Error {
  readonly code = 'SIGNING_KEY_WITHDRAWN';
  readonly keyRef: string;
  constructor(keyRef: string, reason: string, options?: ErrorOptions) {
    super(`signing key ${keyRef} can no longer be used: ${reason}`, options);
    this.name = 'SigningKeyWithdrawn';
    this.keyRef = keyRef;
  }
}

/**
 * Sealed license fields that do not open here: altered bytes, another license's or table's
 * fields, or a key this store does not hold. Deliberately one error: which of these it was
 * is for the operator's logs (`reason`), not for the caller.
 */
export class FieldDecryptionFailed extends Error {
  readonly code = 'FIELD_DECRYPTION_FAILED';
  readonly table: string;
  readonly licenseId: string;
  constructor(binding: { table: string; licenseId: string }, reason: string, options?: ErrorOptions) {
    super(
      `sealed fields of license ${binding.licenseId} in ${binding.table} do not open: ${reason}`,
      options,
    );
    this.name = 'FieldDecryptionFailed';
    this.table = binding.table;
    this.licenseId = binding.licenseId;
  }
}
