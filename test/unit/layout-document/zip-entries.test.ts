import { describe, expect, test } from 'vitest';
import { startsLikeZip, zipEntryNames } from '#core/layout-document/zip-entries.ts';
import { minimalOfd, zipArchive } from '../../fixtures/layout-documents.ts';

// Written by Python's zipfile (deflated entries, an archive comment): a writer other than ours.
const PYTHON_ZIPFILE_OFD = Buffer.from(
  'UEsDBBQAAAAIALRee128Uj1OjAAAAMUAAAAHAAAAT0ZELnhtbFWOzQrCMAyAX6Xkbtt5ECntBjJ2FWR69dDVOXBNWat1b29gMvSS8OXnS3T1Hh/s5aY4oDdQcAnMeYvd4HsD57bZ7KEqNd46dWxqRsM+KiID95SCEiLnzIljcJbj1IutLHbALn/CGm07B2eAFLDIqHTAbl7hhJhKylcpKD5H5xOnY1r89ldaVsX3q/IDUEsDBBQAAAAIALRee11n+El5NgAAADcAAAASAAAARG9jXzAvRG9jdW1lbnQueG1ss8lPS7FyyU8uzU3NK1GoyM3JK7YCCtkqZZSUFFjp65eXl+sB+cUFqcl6+UXp+kYGhmZK+nYAUEsBAhQDFAAAAAgAtF57XbxSPU6MAAAAxQAAAAcAAAAAAAAAAAAAAIABAAAAAE9GRC54bWxQSwECFAMUAAAACAC0XntdZ/hJeTYAAAA3AAAAEgAAAAAAAAAAAAAAgAGxAAAARG9jXzAvRG9jdW1lbnQueG1sUEsFBgAAAAACAAIAdQAAABcBAAAUAGVsaWNlbnNlIHRlc3QgdmVjdG9y',
  'base64',
);

describe('zip entry names', () => {
  test('lists the entries of an archive written by another ZIP writer', () => {
    expect(startsLikeZip(PYTHON_ZIPFILE_OFD)).toBe(true);
    expect(zipEntryNames(PYTHON_ZIPFILE_OFD)).toEqual(['OFD.xml', 'Doc_0/Document.xml']);
  });

  test('lists the entries through the ZIP64 end records', () => {
    expect(zipEntryNames(minimalOfd({ zip64: true }))).toEqual(['OFD.xml', 'Doc_0/Document.xml']);
  });

  test('reads UTF-8 entry names', () => {
    const archive = zipArchive([{ name: '证照/封面.xml', content: '<x/>' }]);
    expect(zipEntryNames(archive)).toEqual(['证照/封面.xml']);
  });

  test('finds the end record behind an archive comment that itself contains an end signature', () => {
    const archive = zipArchive([{ name: 'OFD.xml', content: '<x/>' }], { comment: 'PK\x05\x06 inside' });
    expect(zipEntryNames(archive)).toEqual(['OFD.xml']);
  });

  test('gives undefined for a truncated archive', () => {
    const archive = minimalOfd();
    expect(zipEntryNames(archive.subarray(0, archive.byteLength - 30))).toBeUndefined();
    expect(zipEntryNames(PYTHON_ZIPFILE_OFD.subarray(0, 200))).toBeUndefined();
  });

  test('gives undefined when the directory offset points outside the bytes', () => {
    const archive = minimalOfd();
    const end = archive.byteLength - 22;
    new DataView(archive.buffer, archive.byteOffset).setUint32(end + 16, archive.byteLength + 100, true);
    expect(zipEntryNames(archive)).toBeUndefined();
  });

  test('gives undefined for bytes that are no archive at all', () => {
    const text = new TextEncoder().encode('PK\x03\x04 but nothing after it');
    expect(startsLikeZip(text)).toBe(true);
    expect(zipEntryNames(text)).toBeUndefined();
    expect(zipEntryNames(new Uint8Array())).toBeUndefined();
    expect(startsLikeZip(new Uint8Array([0x50, 0x4b]))).toBe(false);
  });
});
