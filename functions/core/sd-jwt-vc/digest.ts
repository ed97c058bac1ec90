import { hash } from 'node:crypto';

/**
 * base64url(SHA-256(text)) as RFC 9901 digests disclosures and computes `sd_hash`: over the
 * ASCII characters of the base64url text itself, never over the decoded bytes. One-shot
 * `crypto.hash` is the cheapest hash node offers for inputs this small.
 */
export function sdDigest(text: string): string {
  return hash('sha256', text, 'base64url');
}
