import { generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derToRawEcdsaSignature, MalformedEcdsaSignature } from '#core/keys/ecdsa-signature.ts';

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Minimal DER of a non-negative big-endian integer: leading zeros dropped, 0x00 added before a high bit. */
function derInteger(bytes: Uint8Array): number[] {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const magnitude = [...bytes.subarray(start)];
  if ((magnitude[0] ?? 0) & 0x80) magnitude.unshift(0);
  return [0x02, magnitude.length, ...magnitude];
}

function derSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const content = [...derInteger(r), ...derInteger(s)];
  return Uint8Array.from([0x30, content.length, ...content]);
}

function checksAsP1363(message: Uint8Array, der: Uint8Array, publicKey: KeyObject, size = 32): boolean {
  const raw = derToRawEcdsaSignature(der, size);
  return (
    raw.length === 2 * size && verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)
  );
}

describe('derToRawEcdsaSignature', () => {
  it("turns node:crypto's DER signatures into the r‖s node:crypto verifies as ieee-p1363", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (message) => {
        const der = sign('sha256', message, { key: p256.privateKey, dsaEncoding: 'der' });
        expect(checksAsP1363(message, der, p256.publicKey)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('left-pads an r or s that DER shortened (leading zero bytes) and drops the sign byte of a high-bit one', () => {
    // About 1 signature in 256 has a short r (and s); sign until every shape has been met.
    const message = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJsaWNlbnNlSWQiOiJMLTEifQ');
    const seen = { shortR: 0, shortS: 0, paddedR: 0, paddedS: 0 };
    for (let i = 0; i < 50_000 && Object.values(seen).some((n) => n === 0); i++) {
      const der = sign('sha256', message, { key: p256.privateKey, dsaEncoding: 'der' });
      const rLength = der[3] ?? 0;
      const sLength = der[5 + rLength] ?? 0;
      if (rLength < 32) seen.shortR++;
      if (sLength < 32) seen.shortS++;
      if (rLength === 33) seen.paddedR++;
      if (sLength === 33) seen.paddedS++;
      if (rLength !== 32 || sLength !== 32) expect(checksAsP1363(message, der, p256.publicKey)).toBe(true);
    }
    expect(Object.values(seen).every((n) => n > 0)).toBe(true);
  });

  it('reads P-521 signatures, whose SEQUENCE needs a long-form length', () => {
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    const message = Buffer.from('status list token');
    const der = sign('sha512', message, { key: p521.privateKey, dsaEncoding: 'der' });
    const raw = derToRawEcdsaSignature(der, 66);
    expect(der[1]).toBe(0x81);
    expect(verify('sha512', message, { key: p521.publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
  });

  it('is the inverse of minimal DER encoding for every r and s, including short integers', () => {
    const coordinate = fc
      .tuple(fc.integer({ min: 0, max: 31 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([zeros, bytes]) => {
        const value = Uint8Array.from(bytes);
        value.fill(0, 0, zeros);
        value[31] ||= 1;
        return value;
      });
    fc.assert(
      fc.property(coordinate, coordinate, (r, s) => {
        expect(derToRawEcdsaSignature(derSignature(r, s))).toEqual(Uint8Array.from([...r, ...s]));
      }),
      { numRuns: 1000 },
    );
  });

  it('places r = 1, s = 2 at the right end of each half', () => {
    const raw = derToRawEcdsaSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]));
    expect(raw[31]).toBe(1);
    expect(raw[63]).toBe(2);
    expect(raw.filter((b) => b !== 0)).toEqual(Uint8Array.from([1, 2]));
  });

  it.each([
    ['an empty input', []],
    ['a SET instead of a SEQUENCE', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['a length that disagrees with the input', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['bytes after s', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00]],
    ['a missing s', [0x30, 0x03, 0x02, 0x01, 0x01]],
    ['a negative r', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02]],
    ['an empty r', [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x02]],
    ['an r running past the end', [0x30, 0x06, 0x02, 0x09, 0x01, 0x02, 0x01, 0x02]],
    [
      'an r wider than the curve',
      [0x30, 0x26, 0x02, 0x21, 0x01, ...new Array<number>(32).fill(7), 0x02, 0x01, 0x02],
    ],
  ])('rejects %s with MalformedEcdsaSignature', (_, bytes) => {
    expect(() => derToRawEcdsaSignature(Uint8Array.from(bytes))).toThrow(MalformedEcdsaSignature);
  });
});
