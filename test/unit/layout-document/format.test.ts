import { describe, expect, test } from 'vitest';
import {
  DocumentContentMismatch,
  DocumentTooLarge,
  UnsupportedDocumentType,
} from '#core/layout-document/errors.ts';
import {
  checkDocumentSize,
  checkLayoutContent,
  DEFAULT_ACCEPTED_MEDIA_TYPES,
  layoutFormatOf,
  MAX_LAYOUT_DOCUMENT_BYTES,
  sniffLayoutFormat,
} from '#core/layout-document/format.ts';
import { minimalOfd, minimalPdf, pdfOfSize, zipArchive } from '../../fixtures/layout-documents.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('content sniffing', () => {
  test('recognises a PDF by its %PDF- header', () => {
    expect(sniffLayoutFormat(minimalPdf())).toBe('pdf');
    expect(sniffLayoutFormat(text('%PDF-2.0\n'))).toBe('pdf');
  });

  test('recognises an OFD as a ZIP package holding OFD.xml at its root', () => {
    expect(sniffLayoutFormat(minimalOfd())).toBe('ofd');
  });

  test('does not take a ZIP without OFD.xml at its root for an OFD', () => {
    const nested = zipArchive([{ name: 'Doc_0/OFD.xml', content: '<x/>' }]);
    const renamed = zipArchive([{ name: 'ofd.xml', content: '<x/>' }]);
    expect(sniffLayoutFormat(nested)).toBeUndefined();
    expect(sniffLayoutFormat(renamed)).toBeUndefined();
  });

  test('does not take a PDF header further into the bytes, or a near miss, for a PDF', () => {
    expect(sniffLayoutFormat(text(' %PDF-1.7'))).toBeUndefined();
    expect(sniffLayoutFormat(text('%PDF1.7'))).toBeUndefined();
    expect(sniffLayoutFormat(text('%PD'))).toBeUndefined();
    expect(sniffLayoutFormat(new Uint8Array())).toBeUndefined();
  });

  test('accepts content of the declared format', () => {
    expect(() => checkLayoutContent('pdf', minimalPdf())).not.toThrow();
    expect(() => checkLayoutContent('ofd', minimalOfd())).not.toThrow();
  });

  test('rejects an OFD package declared as a PDF, naming both', () => {
    const error = catchError(() => checkLayoutContent('pdf', minimalOfd()));
    expect(error).toBeInstanceOf(DocumentContentMismatch);
    expect(error).toMatchObject({ code: 'DOCUMENT_CONTENT_MISMATCH', declared: 'PDF (opening with %PDF-)' });
    expect((error as DocumentContentMismatch).found).toContain('OFD');
  });

  test('rejects a PDF declared as an OFD', () => {
    const error = catchError(() => checkLayoutContent('ofd', minimalPdf()));
    expect(error).toBeInstanceOf(DocumentContentMismatch);
    expect((error as DocumentContentMismatch).found).toBe('PDF (opening with %PDF-)');
  });

  test('says what the content is when it is neither', () => {
    const plainZip = zipArchive([{ name: 'readme.txt', content: 'hi' }]);
    const truncated = minimalOfd().subarray(0, 40);
    const html = text('<html>');
    expect(catchError(() => checkLayoutContent('ofd', plainZip))?.message).toContain(
      'a ZIP archive without OFD.xml at its root',
    );
    expect(catchError(() => checkLayoutContent('ofd', truncated))?.message).toContain(
      'a malformed or truncated ZIP archive',
    );
    expect(catchError(() => checkLayoutContent('pdf', html))?.message).toContain(
      'first bytes 3c 68 74 6d 6c 3e',
    );
    expect(catchError(() => checkLayoutContent('pdf', new Uint8Array()))?.message).toContain('empty');
  });
});

describe('media types', () => {
  test('maps the accepted media types to their format, ignoring case and parameters', () => {
    expect(layoutFormatOf('application/pdf', DEFAULT_ACCEPTED_MEDIA_TYPES)).toBe('pdf');
    expect(layoutFormatOf('Application/OFD; charset=binary', DEFAULT_ACCEPTED_MEDIA_TYPES)).toBe('ofd');
  });

  test('takes application/zip as an OFD package only when configured to', () => {
    expect(() => layoutFormatOf('application/zip', DEFAULT_ACCEPTED_MEDIA_TYPES)).toThrow(
      UnsupportedDocumentType,
    );
    expect(layoutFormatOf('application/zip', [...DEFAULT_ACCEPTED_MEDIA_TYPES, 'application/zip'])).toBe(
      'ofd',
    );
  });

  test('rejects a media type that is no layout format, listing the accepted ones', () => {
    const error = catchError(() => layoutFormatOf('image/png', DEFAULT_ACCEPTED_MEDIA_TYPES));
    expect(error).toBeInstanceOf(UnsupportedDocumentType);
    expect(error?.message).toBe(
      "layout document media type must be one of application/pdf, application/ofd; found 'image/png'",
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
    expect(sniffLayoutFormat(padded)).toBe('pdf');
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
