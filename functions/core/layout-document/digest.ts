// The digest that binds a layout document to its license: SHA-256 of the exact bytes, written
// as unpadded base64url (43 characters), the same encoding as every other hash the platform
// puts into JOSE objects (SD-JWT `_sd`, audit chain links). S3 wants standard base64 for
// ChecksumSHA256; the conversion lives here so both spellings come from one place.

import { createHash } from 'node:crypto';
import { InvalidDocumentDigest } from './errors.ts';

const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** SHA-256 of the document bytes, unpadded base64url. */
export function documentDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** True for exactly the strings documentDigest can return (the last character carries 2 zero bits). */
export function isDocumentDigest(text: string): boolean {
  return BASE64URL_SHA256.test(text);
}

/** Throws InvalidDocumentDigest unless `text` is a digest as documentDigest writes it. */
export function checkDocumentDigest(text: string): void {
  if (!isDocumentDigest(text)) throw new InvalidDocumentDigest(text);
}

/** The same digest as S3's `ChecksumSHA256` / `x-amz-checksum-sha256` spells it: padded standard base64. */
export function digestToS3Checksum(digest: string): string {
  checkDocumentDigest(digest);
  return Buffer.from(digest, 'base64url').toString('base64');
}
