import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  documentDayPrefix,
  documentKeyBits,
  documentKeyDay,
  isDocumentKey,
  newDocumentKey,
} from '#adapters/aws/document-key.ts';

const AT = new Date('2025-03-01T23:59:59.999Z');

describe('document keys', () => {
  test('are documents/<UTC day>/ + the 128 random bits in lowercase base32', () => {
    const bits = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const key = newDocumentKey(AT, () => bits);
    expect(key).toMatch(/^documents\/2025-03-01\/[a-z2-7]{26}$/);
    expect(documentKeyBits(key)).toEqual(bits);
    expect(documentKeyDay(key)).toBe('2025-03-01');
    expect(key.startsWith(documentDayPrefix('2025-03-01'))).toBe(true);
  });

  test('name the UTC day, not the local one', () => {
    // 00:30 in Beijing (UTC+8) on 2 March is still 1 March in UTC.
    const key = newDocumentKey(new Date('2025-03-02T00:30:00+08:00'));
    expect(documentKeyDay(key)).toBe('2025-03-01');
  });

  test('encode all-zero and all-one bits per RFC 4648 base32', () => {
    expect(newDocumentKey(AT, () => new Uint8Array(16))).toBe(`documents/2025-03-01/${'a'.repeat(26)}`);
    expect(newDocumentKey(AT, () => new Uint8Array(16).fill(0xff))).toBe(
      `documents/2025-03-01/${'7'.repeat(25)}4`,
    );
  });

  test('round-trip any 128 bits', () => {
    for (let i = 0; i < 200; i++) {
      const bits = randomBytes(16);
      const key = newDocumentKey(AT, () => bits);
      expect(isDocumentKey(key)).toBe(true);
      expect(Buffer.from(documentKeyBits(key))).toEqual(bits);
    }
  });

  test('do not repeat and spread evenly over the alphabet', () => {
    const keys = Array.from({ length: 5000 }, () => newDocumentKey(AT));
    expect(new Set(keys).size).toBe(keys.length);
    // The first 25 random characters carry 5 uniform bits each: every symbol appears, none dominates.
    const counts = new Map<string, number>();
    for (const key of keys) for (const c of key.slice(21, 46)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (keys.length * 25) / 32;
    expect(counts.size).toBe(32);
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.1);
  });

  test('made before keys carried their day stay recognised, with no day', () => {
    const undated = `documents/${'a'.repeat(26)}`;
    expect(isDocumentKey(undated)).toBe(true);
    expect(documentKeyDay(undated)).toBeUndefined();
    expect(documentKeyBits(undated)).toEqual(new Uint8Array(16));
  });

  test('are recognised only in their exact form', () => {
    const key = newDocumentKey(AT, () => new Uint8Array(16));
    expect(isDocumentKey(key)).toBe(true);
    expect(isDocumentKey(key.toUpperCase())).toBe(false);
    expect(isDocumentKey(`${key}a`)).toBe(false);
    expect(isDocumentKey(`documents/2025-03-01/${'a'.repeat(25)}b`)).toBe(false); // non-zero padding bits
    expect(isDocumentKey(`documents/2025-02-30/${'a'.repeat(26)}`)).toBe(false); // no such day
    expect(isDocumentKey(`documents/2025-3-01/${'a'.repeat(26)}`)).toBe(false);
    expect(isDocumentKey('documents/../licenses/1.2.156.3005.2.x')).toBe(false);
    expect(documentKeyDay('documents/2025-02-30/x')).toBeUndefined();
    expect(() => documentKeyBits('other/key')).toThrow("not a document key: 'other/key'");
    expect(() => documentDayPrefix('2025-02-30')).toThrow("expected a day as yyyy-mm-dd, found '2025-02-30'");
  });

  test('refuse a random source that gives the wrong number of bytes', () => {
    expect(() => newDocumentKey(AT, () => new Uint8Array(8))).toThrow(
      'needs 16 random bytes; the source gave 8',
    );
  });
});
