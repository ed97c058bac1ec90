import { describe, expect, test } from 'vitest';
import {
  checkDocumentDigest,
  digestToS3Checksum,
  documentDigest,
  isDocumentDigest,
} from '#core/layout-document/digest.ts';
import { InvalidDocumentDigest } from '#core/layout-document/errors.ts';

// FIPS 180-2 example "abc": ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
const ABC = new TextEncoder().encode('abc');

describe('document digest', () => {
  test('is the SHA-256 of the bytes in unpadded base64url', () => {
    const expectedHex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(documentDigest(ABC)).toBe(Buffer.from(expectedHex, 'hex').toString('base64url'));
    expect(documentDigest(ABC)).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  test("converts to S3's ChecksumSHA256 spelling, padded standard base64", () => {
    expect(digestToS3Checksum('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')).toBe(
      'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
    );
  });

  test('accepts exactly the canonical 43-character form', () => {
    expect(isDocumentDigest(documentDigest(ABC))).toBe(true);
    expect(isDocumentDigest('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')).toBe(false);
    expect(isDocumentDigest('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=')).toBe(false);
    expect(isDocumentDigest('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1')).toBe(false);
    expect(isDocumentDigest('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')).toBe(false);
  });

  test('refuses a hex digest with a typed error that quotes it', () => {
    const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(() => checkDocumentDigest(hex)).toThrow(InvalidDocumentDigest);
    expect(() => digestToS3Checksum(hex)).toThrow(`found '${hex}'`);
  });
});
