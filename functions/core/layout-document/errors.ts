// Typed failures of the layout-document store, each with a stable `code` for the problem+json
// mapping. Rejections of what a caller sent (too large, wrong type, wrong content, a bad
// upload) are the caller's to fix; a digest mismatch on read is an integrity incident.

/** The document is larger than the store accepts; raised before anything is stored. */
export class DocumentTooLarge extends Error {
  readonly code = 'DOCUMENT_TOO_LARGE';
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(`layout document of ${size} bytes is larger than the limit of ${limit} bytes`);
    this.name = 'DocumentTooLarge';
    this.size = size;
    this.limit = limit;
  }
}

/** The declared media type is not one the store is configured to accept. */
export class UnsupportedDocumentType extends Error {
  readonly code = 'DOCUMENT_TYPE_UNSUPPORTED';
  readonly mediaType: string;
  readonly accepted: readonly string[];
  constructor(mediaType: string, accepted: readonly string[]) {
    super(`document media type must be one of ${accepted.join(', ')}; found '${mediaType}'`);
    this.name = 'UnsupportedDocumentType';
    this.mediaType = mediaType;
    this.accepted = accepted;
  }
}

/** The bytes are not what the declared media type says (a PDF must open with `%PDF-`, an OFD is a ZIP package with OFD.xml). */
export class DocumentContentMismatch extends Error {
  readonly code = 'DOCUMENT_CONTENT_MISMATCH';
  readonly declared: string;
  readonly found: string;
  constructor(declared: string, found: string) {
    super(`document declared as ${declared} but its content is ${found}`);
    this.name = 'DocumentContentMismatch';
    this.declared = declared;
    this.found = found;
  }
}

/** A digest that is not a SHA-256 in unpadded base64url (43 characters). */
export class InvalidDocumentDigest extends Error {
  readonly code = 'DOCUMENT_DIGEST_INVALID';
  readonly digest: string;
  constructor(digest: string) {
    super(`document digest must be a SHA-256 in unpadded base64url (43 characters); found '${digest}'`);
    this.name = 'InvalidDocumentDigest';
    this.digest = digest;
  }
}

/** The stored bytes do not hash to the digest the license records; no bytes are returned. */
export class DocumentDigestMismatch extends Error {
  readonly code = 'DOCUMENT_DIGEST_MISMATCH';
  readonly key: string;
  readonly expected: string;
  readonly found: string;
  constructor(key: string, expected: string, found: string) {
    super(`stored document ${key} should have SHA-256 ${expected}; found ${found}`);
    this.name = 'DocumentDigestMismatch';
    this.key = key;
    this.expected = expected;
    this.found = found;
  }
}

/** No document is stored under the key (or the key is not a document key at all). */
export class DocumentNotFound extends Error {
  readonly code = 'DOCUMENT_NOT_FOUND';
  readonly key: string;
  constructor(key: string, why = 'no object under this key') {
    super(`no layout document ${key}: ${why}`);
    this.name = 'DocumentNotFound';
    this.key = key;
  }
}

/** Why an upload through a presigned URL was not accepted. */
export type UploadRejection =
  /** nothing was uploaded under the key (or the store refused the bytes, as S3 does on a checksum mismatch) */
  | 'not-uploaded'
  /** the object was not created through `presignUpload`, so there is no declaration to hold it to */
  | 'undeclared'
  /** the bytes hash to something other than the expected digest */
  | 'digest'
  /** the byte count differs from the declared size, or exceeds the limit */
  | 'size'
  /** the bytes are not of the declared media type */
  | 'content';

/** A presigned upload failed its check on completion; any object under the key has been deleted. */
export class DocumentUploadRejected extends Error {
  readonly code = 'DOCUMENT_UPLOAD_REJECTED';
  readonly key: string;
  readonly reason: UploadRejection;
  readonly expected: string;
  readonly found: string;
  constructor(key: string, reason: UploadRejection, expected: string, found: string) {
    super(`upload ${key} rejected (${reason}): expected ${expected}; found ${found}`);
    this.name = 'DocumentUploadRejected';
    this.key = key;
    this.reason = reason;
    this.expected = expected;
    this.found = found;
  }
}

/**
 * A presigned upload completed too long after it was begun: its key's day is before yesterday
 * (UTC). Nothing is read, written or deleted; begin a new upload.
 */
export class DocumentUploadExpired extends Error {
  readonly code = 'DOCUMENT_UPLOAD_EXPIRED';
  readonly key: string;
  readonly day: string;
  constructor(key: string, day: string, earliestDay: string) {
    super(
      `upload ${key} was begun on ${day}; an upload completes on the day it was begun or the next (from ${earliestDay} now) — begin a new upload`,
    );
    this.name = 'DocumentUploadExpired';
    this.key = key;
    this.day = day;
  }
}

/** A presigned URL was asked for with an expiry outside 1..max seconds. */
export class PresignExpiryOutOfRange extends Error {
  readonly code = 'PRESIGN_EXPIRY_OUT_OF_RANGE';
  readonly requested: number;
  readonly max: number;
  constructor(requested: number, max: number) {
    super(`presigned URL expiry must be a whole number of seconds from 1 to ${max}; found ${requested}`);
    this.name = 'PresignExpiryOutOfRange';
    this.requested = requested;
    this.max = max;
  }
}
