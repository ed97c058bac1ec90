// The authorisation code (授权码) of a grant: the secret the holder hands to the relying
// agency. The platform keeps only its SHA-256, so a leaked grants table reveals no usable
// code; 256 random bits make guessing a code, or finding one by its hash, hopeless.
import { createHash, randomBytes } from 'node:crypto';

/** Random bytes in a code; at least 16 (128 bits) is the requirement, 32 leaves margin. */
export const GRANT_CODE_BYTES = 32;

const GRANT_CODE = /^[A-Za-z0-9_-]{43}$/;

/** A fresh random authorisation code: 32 bytes, base64url, 43 URL-safe characters. */
export function newGrantCode(): string {
  return randomBytes(GRANT_CODE_BYTES).toString('base64url');
}

/** True when `code` has the shape of an authorisation code (and so is worth looking up). */
export function isGrantCodeShape(code: string): boolean {
  return GRANT_CODE.test(code);
}

/** SHA-256 of the code's text, base64url: what the store keeps and looks a grant up by. */
export function grantCodeHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('base64url');
}
