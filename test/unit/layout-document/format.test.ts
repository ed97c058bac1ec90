import { describe, expect, test } from 'vitest';
import {
  DocumentContentMismatch,
  DocumentTooLarge,
  UnsupportedDocumentType,
} from '#core/layout-document/errors.ts';
import {
  ATTACHMENT_MEDIA_TYPES,
  checkDocumentContent,
  checkDocumentSize,
  DEFAULT_ACCEPTED_MEDIA_TYPES,
  DOCUMENT_MEDIA_TYPES,
  documentFormatOf,
  MAX_LAYOUT_DOCUMENT_BYTES,
  sniffDocumentFormat,
} from '#core/layout-document/format.ts';
import {
  minimalJpeg,
  minimalOfd,
  minimalPdf,
  minimalPng,
  pdfOfSize,
  zipArchive,
} from '../../fixtures/layout-documents.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('content sniffing', () => {
  test('recognises a PDF by its %PDF- header', () => {
    expect(sniffDocumentFormat(minimalPdf())).toBe('pdf');
    expect(sniffDocumentFormat(text('%PDF-2.0\n'))).toBe('pdf');
  });

  test('recognises an OFD as a ZIP package holding OFD.xml at its root', () => {
    expect(sniffDocumentFormat(minimalOfd())).toBe('ofd');
  });

  test('does not take a ZIP without OFD.xml at its root for an OFD', () => {
    const nested = zipArchive([{ name: 'Doc_0/OFD.xml', content: '<x/>' }]);
    const renamed = zipArchive([{ name: 'ofd.xml', content: '<x/>' }]);
    expect(sniffDocumentFormat(nested)).toBeUndefined();
    expect(sniffDocumentFormat(renamed)).toBeUndefined();
  });

  test('does not take a PDF header further into the bytes, or a near miss, for a PDF', () => {
    expect(sniffDocumentFormat(text(' %PDF-1.7'))).toBeUndefined();
    expect(sniffDocumentFormat(text('%PDF1.7'))).toBeUndefined();
    expect(sniffDocumentFormat(text('%PD'))).toBeUndefined();
    expect(sniffDocumentFormat(new Uint8Array())).toBeUndefined();
  });

  test('accepts content of the declared format', () => {
    expect(() => checkDocumentContent('pdf', minimalPdf())).not.toThrow();
    expect(() => checkDocumentContent('ofd', minimalOfd())).not.toThrow();
  });

  test('rejects an OFD package declared as a PDF, naming both', () => {
    const error = catchError(() => checkDocumentContent('pdf', minimalOfd()));
    expect(error).toBeInstanceOf(DocumentContentMismatch);
    expect(error).toMatchObject({ code: 'DOCUMENT_CONTENT_MISMATCH', declared: 'PDF (opening with %PDF-)' });
    expect((error as DocumentContentMismatch).found).toContain('OFD');
  });

  test('rejects a PDF declared as an OFD', () => {
    const error = catchError(() => checkDocumentContent('ofd', minimalPdf()));
    expect(error).toBeInstanceOf(DocumentContentMismatch);
    expect((error as DocumentContentMismatch).found).toBe('PDF (opening with %PDF-)');
  });

  test('says what the content is when it is neither', () => {
    const plainZip = zipArchive([{ name: 'readme.txt', content: 'hi' }]);
    const truncated = minimalOfd().subarray(0, 40);
    const html = text('<html>');
    expect(catchError(() => checkDocumentContent('ofd', plainZip))?.message).toContain(
      'a ZIP archive without OFD.xml at its root',
    );
    expect(catchError(() => checkDocumentContent('ofd', truncated))?.message).toContain(
      'a malformed or truncated ZIP archive',
    );
    expect(catchError(() => checkDocumentContent('pdf', html))?.message).toContain(
      'first bytes 3c 68 74 6d 6c 3e',
    );
    expect(catchError(() => checkDocumentContent('pdf', new Uint8Array()))?.message).toContain('empty');
  });
});

describe('images (application attachments)', () => {
  test('recognises a PNG by its signature and a JPEG by its start-of-image marker', () => {
    expect(sniffDocumentFormat(minimalPng())).toBe('png');
    expect(sniffDocumentFormat(minimalJpeg())).toBe('jpeg');
    // One byte short of either signature is neither.
    expect(sniffDocumentFormat(minimalPng().subarray(0, 7))).toBeUndefined();
    expect(sniffDocumentFormat(Uint8Array.of(0xff, 0xd8, 0x00))).toBeUndefined();
    // Nor is a file that borrows only the first bytes: HTML after FF D8 FF, a PNG signature
    // followed by anything but its IHDR chunk.
    expect(sniffDocumentFormat(Uint8Array.from([0xff, 0xd8, 0xff, ...text('<html>')]))).toBeUndefined();
    const noIhdr = minimalPng().slice();
    noIhdr.set(text('tEXt'), 12);
    expect(sniffDocumentFormat(noIhdr)).toBeUndefined();
  });

  test('accepts an image of its declared format and refuses one of the other, naming both', () => {
    expect(() => checkDocumentContent('png', minimalPng())).not.toThrow();
    expect(() => checkDocumentContent('jpeg', minimalJpeg())).not.toThrow();
    const error = catchError(() => checkDocumentContent('jpeg', minimalPng()));
    expect(error).toBeInstanceOf(DocumentContentMismatch);
    expect(error).toMatchObject({
      declared: 'JPEG (opening with FF D8 FF)',
      found: 'PNG (opening with the PNG signature)',
    });
    expect(catchError(() => checkDocumentContent('png', minimalPdf()))?.message).toContain(
      'its content is PDF (opening with %PDF-)',
    );
  });

  test('are accepted only where attachments are: not by a layout-document store', () => {
    expect(documentFormatOf('image/png', ATTACHMENT_MEDIA_TYPES)).toBe('png');
    expect(documentFormatOf('IMAGE/JPEG', ATTACHMENT_MEDIA_TYPES)).toBe('jpeg');
    expect(() => documentFormatOf('image/jpeg', DEFAULT_ACCEPTED_MEDIA_TYPES)).toThrow(
      UnsupportedDocumentType,
    );
    expect(() => documentFormatOf('image/gif', ATTACHMENT_MEDIA_TYPES)).toThrow(
      "document media type must be one of application/pdf, application/ofd, image/jpeg, image/png; found 'image/gif'",
    );
  });
});

describe('media types', () => {
  test('a declared type named like a member every object inherits names no format', () => {
    for (const declared of ['constructor', '__proto__', 'toString']) {
      expect(DOCUMENT_MEDIA_TYPES[declared]).toBeUndefined();
      expect(() => documentFormatOf(declared, [declared])).toThrow(UnsupportedDocumentType);
    }
  });

  test('maps the accepted media types to their format, ignoring case and parameters', () => {
    expect(documentFormatOf('application/pdf', DEFAULT_ACCEPTED_MEDIA_TYPES)).toBe('pdf');
    expect(documentFormatOf('Application/OFD; charset=binary', DEFAULT_ACCEPTED_MEDIA_TYPES)).toBe('ofd');
  });

  test('takes application/zip as an OFD package only when configured to', () => {
    expect(() => documentFormatOf('application/zip', DEFAULT_ACCEPTED_MEDIA_TYPES)).toThrow(
      UnsupportedDocumentType,
    );
    expect(documentFormatOf('application/zip', [...DEFAULT_ACCEPTED_MEDIA_TYPES, 'application/zip'])).toBe(
      'ofd',
    );
  });

  test('rejects a media type that is no layout format, listing the accepted ones', () => {
    const error = catchError(() => documentFormatOf('image/png', DEFAULT_ACCEPTED_MEDIA_TYPES));
    expect(error).toBeInstanceOf(UnsupportedDocumentType);
    expect(error?.message).toBe(
      "document media type must be one of application/pdf, application/ofd; found 'image/png'",
    );
  });
});

describe('size limit', () => {
  test('is 20 MiB and admits a document of exactly that size', () => {
    expect(MAX_LAYOUT_DOCUMENT_BYTES).toBe(20_971_520);
    expect(() => checkDocumentSize(MAX_LAYOUT_DOCUMENT_BYTES, MAX_LAYOUT_DOCUMENT_BYTES)).not.toThrow();
  });

  test('rejects one byte more, with both figures', () => {
    const error = catchError(() =>
      checkDocumentSize(MAX_LAYOUT_DOCUMENT_BYTES + 1, MAX_LAYOUT_DOCUMENT_BYTES),
    );
    expect(error).toBeInstanceOf(DocumentTooLarge);
    expect(error).toMatchObject({ code: 'DOCUMENT_TOO_LARGE', size: 20_971_521, limit: 20_971_520 });
  });

  test('pads a PDF to an exact size that still sniffs as a PDF', () => {
    const padded = pdfOfSize(4096);
    expect(padded.byteLength).toBe(4096);
    expect(sniffDocumentFormat(padded)).toBe('pdf');
  });
});

function catchError(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
