import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { documentKeyBits, isDocumentKey, newDocumentKey } from '#adapters/aws/document-key.ts';

describe('document keys', () => {
  test('are documents/ + the 128 random bits in lowercase base32', () => {
    const bits = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const key = newDocumentKey(() => bits);
    expect(key).toMatch(/^documents\/[a-z2-7]{26}$/);
    expect(documentKeyBits(key)).toEqual(bits);
  });

  test('encode all-zero and all-one bits per RFC 4648 base32', () => {
    expect(newDocumentKey(() => new Uint8Array(16))).toBe(`documents/${'a'.repeat(26)}`);
    expect(newDocumentKey(() => new Uint8Array(16).fill(0xff))).toBe(`documents/${'7'.repeat(25)}4`);
  });

  test('round-trip any 128 bits', () => {
    for (let i = 0; i < 200; i++) {
      const bits = randomBytes(16);
      const key = newDocumentKey(() => bits);
      expect(isDocumentKey(key)).toBe(true);
      expect(Buffer.from(documentKeyBits(key))).toEqual(bits);
    }
  });

  test('do not repeat and spread evenly over the alphabet', () => {
    const keys = Array.from({ length: 5000 }, () => newDocumentKey());
    expect(new Set(keys).size).toBe(keys.length);
    // The first 25 characters carry 5 uniform bits each: every symbol appears, none dominates.
    const counts = new Map<string, number>();
    for (const key of keys) for (const c of key.slice(10, 35)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (keys.length * 25) / 32;
    expect(counts.size).toBe(32);
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.1);
  });

  test('are recognised only in their exact form', () => {
    const key = newDocumentKey(() => new Uint8Array(16));
    expect(isDocumentKey(key)).toBe(true);
    expect(isDocumentKey(key.toUpperCase())).toBe(false);
    expect(isDocumentKey(`${key}a`)).toBe(false);
    expect(isDocumentKey(`documents/${'a'.repeat(25)}b`)).toBe(false); // non-zero padding bits
    expect(isDocumentKey('documents/../licenses/1.2.156.3005.2.x')).toBe(false);
    expect(() => documentKeyBits('other/key')).toThrow("not a document key: 'other/key'");
  });

  test('refuse a random source that gives the wrong number of bytes', () => {
    expect(() => newDocumentKey(() => new Uint8Array(8))).toThrow('needs 16 random bytes; the source gave 8');
  });
});
