import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, UnsupportedJwk } from '#core/keys/jwk-thumbprint.ts';

describe('jwkThumbprint', () => {
  it('computes the RFC 7638 §3.1 example thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('agrees with jose for P-256 keys and ignores kid, alg, use and the private part', async () => {
    for (let i = 0; i < 20; i++) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `k${i}`, alg: 'ES256', use: 'sig' };
      const { kty, crv, x, y } = jwk;
      expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256'));
    }
  });

  it('refuses a key type it does not know and a key missing a required member', () => {
    expect(() => jwkThumbprint({ kty: 'XYZ', x: 'a' })).toThrow(UnsupportedJwk);
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' })).toThrow(/member 'y'/);
  });
});
