// Object keys of layout documents: `documents/` + 128 random bits in lowercase RFC 4648
// base32 (26 characters). Nothing about the license or the holder goes in — the function takes
// no input but randomness — so a key seen in a log, an access log or a URL discloses nothing.
// Base32 rather than base64url: one case, no `-`/`_`, safe in every tool that handles keys.

import { randomBytes } from 'node:crypto';

export const DOCUMENT_KEY_PREFIX = 'documents/';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RANDOM_BYTES = 16;
/** 26 characters carry 130 bits; the last one holds 3 random bits and 2 zero bits. */
const DOCUMENT_KEY = /^documents\/[a-z2-7]{25}[aeimquy4]$/;

/** A fresh document key from 128 bits of `random` (node:crypto's CSPRNG unless a test injects one). */
export function newDocumentKey(random: (size: number) => Uint8Array = randomBytes): string {
  const bits = random(RANDOM_BYTES);
  if (bits.byteLength !== RANDOM_BYTES) {
    throw new Error(`document key needs ${RANDOM_BYTES} random bytes; the source gave ${bits.byteLength}`);
  }
  return DOCUMENT_KEY_PREFIX + base32(bits);
}

/** True for exactly the strings newDocumentKey can return. */
export function isDocumentKey(key: string): boolean {
  return DOCUMENT_KEY.test(key);
}

/** The random bits behind a document key (the inverse of newDocumentKey). */
export function documentKeyBits(key: string): Uint8Array {
  if (!isDocumentKey(key)) throw new Error(`not a document key: '${key}'`);
  const out = new Uint8Array(RANDOM_BYTES);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of key.slice(DOCUMENT_KEY_PREFIX.length)) {
    buffer = ((buffer << 5) | ALPHABET.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (at < RANDOM_BYTES) out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
