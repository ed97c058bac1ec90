// What a stored document may be, its media type, its size limit, and a content check that its
// bytes are what its media type says. A license's layout document (版式文件) is PDF or OFD
// (GB/T 33190); an application's attachments may also be JPEG or PNG images (an ID photo, a
// photographed certificate). Each store accepts a configured subset.

import { DocumentContentMismatch, DocumentTooLarge, UnsupportedDocumentType } from './errors.ts';
import { startsLikeZip, zipEntryNames } from './zip-entries.ts';

export type LayoutFormat = 'pdf' | 'ofd';
export type DocumentFormat = LayoutFormat | 'jpeg' | 'png';

/** The media type of a license's layout document. */
export type LayoutMediaType = 'application/pdf' | 'application/ofd';
/** The one media type a stored document carries per format. */
export type DocumentMediaType = LayoutMediaType | 'image/jpeg' | 'image/png';

/** The spec limit on a layout document: 20 MiB. */
export const MAX_LAYOUT_DOCUMENT_BYTES = 20 * 1024 * 1024;

/**
 * Media types a declaration may use, and the format each names. OFD has no IANA registration;
 * `application/ofd` is what OFD producers and readers use, and some label the package by its
 * container (`application/zip`) or with the old `x-` prefix. A store accepts a configured subset.
 */
// Without a prototype: it is looked up by the caller's Content-Type, and `constructor` must
// name no format.
export const DOCUMENT_MEDIA_TYPES: Readonly<Record<string, DocumentFormat>> = Object.assign(
  Object.create(null),
  {
    'application/pdf': 'pdf',
    'application/ofd': 'ofd',
    'application/x-ofd': 'ofd',
    'application/zip': 'ofd',
    'image/jpeg': 'jpeg',
    'image/png': 'png',
  },
);

/** What a store accepts unless configured otherwise: the layout formats. */
export const DEFAULT_ACCEPTED_MEDIA_TYPES: readonly string[] = ['application/pdf', 'application/ofd'];

/** What an application's attachment may be. */
export const ATTACHMENT_MEDIA_TYPES: readonly string[] = [
  'application/pdf',
  'application/ofd',
  'image/jpeg',
  'image/png',
];

const CANONICAL: Readonly<Record<DocumentFormat, DocumentMediaType>> = {
  pdf: 'application/pdf',
  ofd: 'application/ofd',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

export function canonicalMediaType(format: DocumentFormat): DocumentMediaType {
  return CANONICAL[format];
}

/** Whether a stored document's media type is a layout document's (PDF or OFD). */
export function isLayoutMediaType(mediaType: DocumentMediaType): mediaType is LayoutMediaType {
  return mediaType === 'application/pdf' || mediaType === 'application/ofd';
}

/** The format a declared media type names, if it is among `accepted`; case and parameters (`;…`) are ignored. */
export function documentFormatOf(declared: string, accepted: readonly string[]): DocumentFormat {
  const essence = declared.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const format = DOCUMENT_MEDIA_TYPES[essence];
  if (format === undefined || !accepted.includes(essence)) {
    throw new UnsupportedDocumentType(declared, accepted);
  }
  return format;
}

/** Throws DocumentTooLarge unless `size` is at most `limit` bytes. */
export function checkDocumentSize(size: number, limit: number): void {
  if (size > limit) throw new DocumentTooLarge(size, limit);
}

const PDF_HEADER = new TextEncoder().encode('%PDF-');
/** JPEG (ISO/IEC 10918-1 / JFIF, Exif): start-of-image marker, then the next marker's 0xFF. */
const JPEG_HEADER = Uint8Array.of(0xff, 0xd8, 0xff);
/** PNG (ISO/IEC 15948): the 8-byte signature. */
const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** A PNG's first chunk is IHDR: its type follows the signature and the 4-byte length. */
const PNG_IHDR = new TextEncoder().encode('IHDR');
/** GB/T 33190: the package's entry file, exactly one, at the root, under this exact name. */
const OFD_ENTRY_FILE = 'OFD.xml';

/** The format the bytes are, judged by content alone, or undefined for anything else. */
export function sniffDocumentFormat(bytes: Uint8Array): DocumentFormat | undefined {
  if (startsWith(bytes, PDF_HEADER)) return 'pdf';
  // Past the signatures, the next structure too (a segment marker; the IHDR chunk): a file that
  // only borrows an image's first bytes, HTML after FF D8 FF say, is not taken for one.
  if (startsWith(bytes, JPEG_HEADER) && bytes.byteLength > 3 && bytes[3]! >= 0xc0 && bytes[3]! <= 0xfe) {
    return 'jpeg';
  }
  if (startsWith(bytes, PNG_SIGNATURE) && PNG_IHDR.every((b, i) => bytes[12 + i] === b)) return 'png';
  if (startsLikeZip(bytes) && zipEntryNames(bytes)?.includes(OFD_ENTRY_FILE)) return 'ofd';
  return undefined;
}

/** Throws DocumentContentMismatch unless the bytes are a document of the declared format. */
export function checkDocumentContent(declared: DocumentFormat, bytes: Uint8Array): void {
  const found = sniffDocumentFormat(bytes);
  if (found !== declared) throw new DocumentContentMismatch(describeFormat(declared), describeContent(bytes));
}

const DESCRIPTIONS: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'PDF (opening with %PDF-)',
  ofd: 'OFD (a ZIP package holding OFD.xml)',
  jpeg: 'JPEG (opening with FF D8 FF)',
  png: 'PNG (opening with the PNG signature)',
};

function describeFormat(format: DocumentFormat): string {
  return DESCRIPTIONS[format];
}

/** What the bytes look like, for the error message: the format, or the container, or the first bytes. */
function describeContent(bytes: Uint8Array): string {
  const format = sniffDocumentFormat(bytes);
  if (format !== undefined) return describeFormat(format);
  if (bytes.byteLength === 0) return 'empty';
  if (startsLikeZip(bytes)) {
    return zipEntryNames(bytes) === undefined
      ? 'a malformed or truncated ZIP archive'
      : `a ZIP archive without ${OFD_ENTRY_FILE} at its root`;
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `no document format known here (first bytes ${head})`;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.byteLength >= prefix.byteLength && prefix.every((b, i) => bytes[i] === b);
}
