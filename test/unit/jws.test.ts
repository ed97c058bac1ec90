import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import {
  base64urlToText,
  decodeCompactJws,
  decodeJwsHeader,
  p1363ToDer,
  signCompactJws,
  verifyEs256,
} from '#core/jws.ts';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const DATA = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0');

/** r‖s from OpenSSL's DER, which is minimal by construction: the reference for our encoding. */
function derToP1363(der: Buffer): Buffer {
  expect(der[0]).toBe(0x30);
  const out = Buffer.alloc(64);
  let at = 2;
  for (const half of [0, 1]) {
    expect(der[at]).toBe(0x02);
    const length = der[at + 1]!;
    const integer = der.subarray(at + 2, at + 2 + length);
    const magnitude = integer[0] === 0 && integer.length > 1 ? integer.subarray(1) : integer;
    magnitude.copy(out, half * 32 + 32 - magnitude.length);
    at += 2 + length;
  }
  expect(at).toBe(der.length);
  return out;
}

describe('p1363ToDer', () => {
  it('gives back exactly the DER node signed, for halves with a high bit and with leading zero bytes', () => {
    const seen = { highBit: false, leadingZero: false, plain: false };
    for (let i = 0; i < 20_000 && !(seen.highBit && seen.leadingZero && seen.plain); i++) {
      const der = sign('sha256', DATA, privateKey);
      const p1363 = derToP1363(der);
      expect(p1363ToDer(p1363)).toEqual(der);
      for (const half of [p1363.subarray(0, 32), p1363.subarray(32)]) {
        if (half[0] === 0) seen.leadingZero = true;
        else if (half[0]! & 0x80) seen.highBit = true;
        else seen.plain = true;
      }
    }
    expect(seen).toEqual({ highBit: true, leadingZero: true, plain: true });
  });

  it('encodes hand-made halves minimally: padded high bit, stripped zeros, and zero as one byte', () => {
    const signature = Buffer.alloc(64);
    signature[0] = 0x80; // r: high bit, needs a 0x00 first
    signature[63] = 0x01; // s: 31 leading zero bytes, then 1
    expect(p1363ToDer(signature)).toEqual(
      Buffer.concat([
        Buffer.from([0x30, 0x26, 0x02, 0x21, 0x00]),
        signature.subarray(0, 32),
        Buffer.from([0x02, 0x01, 0x01]),
      ]),
    );
    expect(p1363ToDer(Buffer.alloc(64))).toEqual(
      Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]),
    );
  });

  it('refuses a signature that is not 64 bytes', () => {
    expect(() => p1363ToDer(Buffer.alloc(63))).toThrow(/64-byte/);
  });
});

describe('verifyEs256', () => {
  const signer = new SoftwareEs256Signer('jws-test');

  it("accepts the signer's JWS and rejects any changed bit of its signature or signing input", async () => {
    const jws = decodeCompactJws(await signCompactJws({ typ: 'JWT' }, { sub: 'test' }, signer));
    expect(verifyEs256(jws.signingInput, jws.signature, signer.publicJwk)).toBe(true);
    for (const bit of [0, 7, 255, 256, 511]) {
      const tampered = Buffer.from(jws.signature);
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyEs256(jws.signingInput, tampered, signer.publicJwk)).toBe(false);
    }
    const input = `${jws.signingInput.slice(0, -1)}${jws.signingInput.endsWith('A') ? 'B' : 'A'}`;
    expect(verifyEs256(input, jws.signature, signer.publicJwk)).toBe(false);
  });

  it('rejects r or s of zero, a signature of the wrong length, and another key', async () => {
    const jws = decodeCompactJws(await signCompactJws({}, { sub: 'test' }, signer));
    const zeroR = Buffer.from(jws.signature).fill(0, 0, 32);
    const zeroS = Buffer.from(jws.signature).fill(0, 32);
    expect(verifyEs256(jws.signingInput, zeroR, signer.publicJwk)).toBe(false);
    expect(verifyEs256(jws.signingInput, zeroS, signer.publicJwk)).toBe(false);
    expect(verifyEs256(jws.signingInput, jws.signature.subarray(0, 63), signer.publicJwk)).toBe(false);
    const other = new SoftwareEs256Signer('jws-test-other');
    expect(verifyEs256(jws.signingInput, jws.signature, other.publicJwk)).toBe(false);
  });
});

describe('decodeCompactJws', () => {
  const signer = new SoftwareEs256Signer('jws-decode');

  it('decodes header and payload of any size, multi-byte text included, and keeps the exact signing input', async () => {
    for (const size of [10, 400, 450, 460, 5_000]) {
      const payload = { 住址: '演示省示例市'.repeat(size), n: size };
      const jws = await signCompactJws({ typ: 'JWT' }, payload, signer);
      const decoded = decodeCompactJws(jws);
      expect(decoded.payload).toEqual(payload);
      expect(decoded.header).toEqual({ typ: 'JWT', alg: 'ES256', kid: 'jws-decode' });
      expect(decoded.signingInput).toBe(jws.slice(0, jws.lastIndexOf('.')));
      expect(verifyEs256(decoded.signingInput, decoded.signature, signer.publicJwk)).toBe(true);
    }
  });

  it('gives each decoded part its own text: a later decode does not change an earlier result', () => {
    const first = base64urlToText(Buffer.from('{"a":"第一"}').toString('base64url'));
    const second = base64urlToText(Buffer.from('{"b":"2"}').toString('base64url'));
    expect([first, second]).toEqual(['{"a":"第一"}', '{"b":"2"}']);
  });
});

describe('decodeJwsHeader', () => {
  it('decodes the header alone, of a JWS or of an SD-JWT, and refuses one that is no JSON object', async () => {
    const jws = await signCompactJws(
      { typ: 'dc+sd-jwt' },
      { sub: 'x' },
      new SoftwareEs256Signer('header-only'),
    );
    const header = { typ: 'dc+sd-jwt', alg: 'ES256', kid: 'header-only' };
    expect(decodeJwsHeader(jws)).toEqual(header);
    expect(decodeJwsHeader(`${jws}~WyJzYWx0IiwiYSIsMV0~`)).toEqual(header);
    expect(() => decodeJwsHeader(`${Buffer.from('[1]').toString('base64url')}.e30.sig`)).toThrow(
      /not a JSON object/,
    );
  });
});
