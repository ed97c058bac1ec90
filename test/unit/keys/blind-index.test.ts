import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blindIndexToken, InvalidHolderCodeType, normaliseHolderIdentity } from '#core/keys/blind-index.ts';

describe('normaliseHolderIdentity', () => {
  it('trims each part, upper-cases and joins them with a colon', () => {
    expect(normaliseHolderIdentity(' 111 ', '\t33010219900307123x\n')).toBe('111:33010219900307123X');
    expect(normaliseHolderIdentity('001', ' 91330100ma2d00010b')).toBe('001:91330100MA2D00010B');
  });

  it('composes decomposed characters (NFC), so two spellings of one name are one identity', () => {
    const decomposed = 'Jose\u0301';
    const composed = 'Jos\u00e9';
    expect(normaliseHolderIdentity('999', decomposed)).toBe(normaliseHolderIdentity('999', composed));
    expect(normaliseHolderIdentity('999', decomposed)).toBe('999:JOS\u00c9');
  });

  it('refuses a code type containing the separator', () => {
    expect(() => normaliseHolderIdentity('1:2', '3')).toThrow(InvalidHolderCodeType);
  });
});

describe('blindIndexToken', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);

  it('is HMAC-SHA256 of the normal form, base64url (vector from openssl dgst -mac HMAC)', () => {
    expect(blindIndexToken(key, '111', ' 33010219900307123x ')).toBe(
      'h1paoLZ_dzsCHcQd0upRDXPfQpjIKuZjh05_F5ccM7M',
    );
  });

  it('gives one token for spellings of one identity and different tokens for different identities or keys', () => {
    const token = blindIndexToken(key, '111', '33010219900307123X');
    expect(blindIndexToken(key, '111 ', '33010219900307123x')).toBe(token);
    expect(blindIndexToken(key, '001', '33010219900307123X')).not.toBe(token);
    expect(blindIndexToken(key, '111', '330102199003071230')).not.toBe(token);
    expect(blindIndexToken(randomBytes(32), '111', '33010219900307123X')).not.toBe(token);
  });
});
