// The reference of a holder presentation (出示码): the short random token a QR code carries, which
// a verifier exchanges once (or a few times) for the presentation within minutes. The platform
// keeps only its SHA-256, like a grant's code, so a read of the holders table yields no
// reference that resolves.
import { createHash, randomBytes } from 'node:crypto';

/** 144 random bits (≥ 128 required): 24 base64url characters, small enough for a dense QR code. */
export const PRESENTATION_REF_BYTES = 18;
/** How long a reference resolves. */
export const PRESENTATION_REF_TTL_SECONDS = 300;
/** Most resolutions a holder may allow one reference (a verifier's retry, a second counter). */
export const MAX_PRESENTATION_RESOLUTIONS = 3;

const REF = /^[A-Za-z0-9_-]{24}$/;

export function newPresentationRef(): string {
  return randomBytes(PRESENTATION_REF_BYTES).toString('base64url');
}

/** True when `ref` has the shape of a reference, and so is worth looking up. */
export function isPresentationRefShape(ref: string): boolean {
  return REF.test(ref);
}

/** SHA-256 of the reference, base64url: the stored presentation's id. */
export function presentationRefDigest(ref: string): string {
  return createHash('sha256').update(ref, 'utf8').digest('base64url');
}
