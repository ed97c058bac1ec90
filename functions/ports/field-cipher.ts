/** Where sealed fields belong: they open only for the same table and license. */
export interface FieldBinding {
  /** The table the license item lives in (the physical shard table). */
  readonly table: string;
  /** The license identifier, without the version or with it, as the caller stores it. */
  readonly licenseId: string;
}

/** A license field's value: anything JSON can carry (strings, dates as strings, periods as objects). */
export type FieldValue =
  | string
  | number
  | boolean
  | null
  | readonly FieldValue[]
  | { readonly [name: string]: FieldValue };

/** Field name → value, e.g. `{ 姓名: '张伟明', 公民身份号码: '330102199003071230' }`. */
export type LicenseFields = Readonly<Record<string, FieldValue>>;

/**
 * The sensitive fields of one license, sealed: self-describing bytes (format, key reference
 * and wrapped data key inside), stored as one DynamoDB binary attribute of the license item.
 */
export type SealedFields = Uint8Array;

/**
 * Envelope encryption of the sensitive fields of a license, bound to {table, license id,
 * field}: sealed fields moved to another license or table, renamed or altered do not open.
 */
export interface FieldCipher {
  /** Seals the named fields of one license. */
  encryptFields(binding: FieldBinding, fields: LicenseFields): Promise<SealedFields>;
  /** Opens what encryptFields sealed for the same binding; rejects with FieldDecryptionFailed otherwise. */
  decryptFields(binding: FieldBinding, sealed: SealedFields): Promise<LicenseFields>;
}
