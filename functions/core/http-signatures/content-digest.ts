// Content-Digest (RFC 9530): a Structured Fields dictionary from hash algorithm to the digest
// of the message content as a byte sequence, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`.
// Only sha-256 and sha-512 are accepted (the "standard" algorithms of the RFC 9530 registry);
// the deprecated ones (md5, sha, unixsum, ...) are ignored, so a field offering only those
// does not verify.
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';

export const CONTENT_DIGEST_ALGORITHMS = ['sha-256', 'sha-512'] as const;
export type ContentDigestAlgorithm = (typeof CONTENT_DIGEST_ALGORITHMS)[number];

const NODE_HASH: Record<ContentDigestAlgorithm, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/** The Content-Digest field value for a body, e.g. `sha-256=:…:`. */
export function contentDigest(body: Uint8Array, algorithm: ContentDigestAlgorithm = 'sha-256'): string {
  const digest = createHash(NODE_HASH[algorithm]).update(body).digest();
  return serializeDictionary(new Map([[algorithm, [digest, new Map()]]]));
}

export type ContentDigestCheck =
  | { ok: true; algorithms: ContentDigestAlgorithm[] }
  | { ok: false; reason: 'malformed' | 'unsupported' | 'mismatch'; detail: string };

/**
 * Checks a Content-Digest field value against the body. Every sha-256 and sha-512 member must
 * match (a field naming both with one wrong is refused); members of other algorithms are
 * ignored; a field with neither is `unsupported`.
 */
export function verifyContentDigest(field: string, body: Uint8Array): ContentDigestCheck {
  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(field);
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed',
      detail: `Content-Digest is not a Structured Fields dictionary: ${(error as Error).message}`,
    };
  }
  const checked: ContentDigestAlgorithm[] = [];
  for (const algorithm of CONTENT_DIGEST_ALGORITHMS) {
    const member = dictionary.get(algorithm);
    if (member === undefined) continue;
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) {
      return {
        ok: false,
        reason: 'malformed',
        detail: `Content-Digest ${algorithm} must be a byte sequence (:base64:)`,
      };
    }
    const expected = createHash(NODE_HASH[algorithm]).update(body).digest();
    const found = new Uint8Array(value);
    if (found.length !== expected.length || !timingSafeEqual(found, expected)) {
      return {
        ok: false,
        reason: 'mismatch',
        detail: `Content-Digest ${algorithm} does not match the ${body.length}-byte body${holdsReplacementCharacter(body) ? REPLACED : ''}`,
      };
    }
    checked.push(algorithm);
  }
  if (checked.length === 0) {
    const offered = [...dictionary.keys()].join(', ') || 'nothing';
    return {
      ok: false,
      reason: 'unsupported',
      detail: `Content-Digest must give sha-256 or sha-512, found ${offered}`,
    };
  }
  return { ok: true, algorithms: checked };
}

// A JSON body reaches the function as text API Gateway decoded from UTF-8: bytes that were not
// UTF-8 are U+FFFD there (EF BF BD once encoded again), and the digest of what was sent no longer
// matches. Said, so that the sender looks at the body's encoding rather than at its signer.
const REPLACEMENT_CHARACTER = Buffer.from('\uFFFD', 'utf8');
const REPLACED =
  '; the body as received holds U+FFFD, the replacement character bytes that are not UTF-8 become: send the body in UTF-8';

function holdsReplacementCharacter(body: Uint8Array): boolean {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(REPLACEMENT_CHARACTER);
}
