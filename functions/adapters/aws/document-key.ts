// Object keys of layout documents: `documents/<yyyy-mm-dd>/` (the UTC day the key was made) + 128
// random bits in lowercase RFC 4648 base32 (26 characters). Nothing about the license or the
// holder goes in — only the day and randomness — so a key seen in a log, an access log or a URL
// discloses nothing but when it was written. The day is there so that the sweep of documents no
// license holds (functions/app/sweep-unheld-documents.ts) can list one day's keys by prefix
// instead of the whole bucket. Keys made before the day was added (`documents/<random>`) stay
// readable; they are never listed by day, so never swept.
// Base32 rather than base64url: one case, no `-`/`_`, safe in every tool that handles keys.

import { randomBytes } from 'node:crypto';

export const DOCUMENT_KEY_PREFIX = 'documents/';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RANDOM_BYTES = 16;
/** 26 characters carry 130 bits; the last one holds 3 random bits and 2 zero bits. */
const RANDOM_PART = '[a-z2-7]{25}[aeimquy4]';
const DATED_KEY = new RegExp(`^documents/(\\d{4}-\\d{2}-\\d{2})/(${RANDOM_PART})$`);
/** The layout before keys carried their day. */
const UNDATED_KEY = new RegExp(`^documents/(${RANDOM_PART})$`);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A fresh document key for a document written at `now`, from 128 bits of `random` (node:crypto's
 * CSPRNG unless a test injects one).
 */
export function newDocumentKey(now: Date, random: (size: number) => Uint8Array = randomBytes): string {
  const bits = random(RANDOM_BYTES);
  if (bits.byteLength !== RANDOM_BYTES) {
    throw new Error(`document key needs ${RANDOM_BYTES} random bytes; the source gave ${bits.byteLength}`);
  }
  return `${documentDayPrefix(utcDay(now))}${base32(bits)}`;
}

/** True for exactly the strings newDocumentKey can return, and the undated keys made before. */
export function isDocumentKey(key: string): boolean {
  const dated = DATED_KEY.exec(key);
  if (dated) return isCalendarDay(dated[1]!);
  return UNDATED_KEY.test(key);
}

/** The UTC day (`yyyy-mm-dd`) a document key was made on; undefined for an undated (older) key or no key. */
export function documentKeyDay(key: string): string | undefined {
  const dated = DATED_KEY.exec(key);
  return dated && isCalendarDay(dated[1]!) ? dated[1] : undefined;
}

/** The prefix every key made on `day` (`yyyy-mm-dd`, UTC) starts with. */
export function documentDayPrefix(day: string): string {
  if (!isCalendarDay(day)) throw new RangeError(`expected a day as yyyy-mm-dd, found '${day}'`);
  return `${DOCUMENT_KEY_PREFIX}${day}/`;
}

/** The UTC day of an instant, as document keys name it. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The random bits behind a document key (the inverse of newDocumentKey). */
export function documentKeyBits(key: string): Uint8Array {
  if (!isDocumentKey(key)) throw new Error(`not a document key: '${key}'`);
  const random = (DATED_KEY.exec(key) ?? UNDATED_KEY.exec(key))!.at(-1)!;
  const out = new Uint8Array(RANDOM_BYTES);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of random) {
    buffer = ((buffer << 5) | ALPHABET.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (at < RANDOM_BYTES) out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

function isCalendarDay(day: string): boolean {
  if (!DAY.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isFinite(ms) && utcDay(new Date(ms)) === day;
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
