// What a layout document (版式文件) may be: PDF or OFD (GB/T 33190), its media type, its size
// limit, and a content check that its bytes are what its media type says.

import { DocumentContentMismatch, DocumentTooLarge, UnsupportedDocumentType } from './errors.ts';
import { startsLikeZip, zipEntryNames } from './zip-entries.ts';

export type LayoutFormat = 'pdf' | 'ofd';

/** The one media type a stored document carries per format. */
export type LayoutMediaType = 'application/pdf' | 'application/ofd';

/** The spec limit on a layout document: 20 MiB. */
export const MAX_LAYOUT_DOCUMENT_BYTES = 20 * 1024 * 1024;

/**
 * Media types a declaration may use, and the format each names. OFD has no IANA registration;
 * `application/ofd` is what OFD producers and readers use, and some label the package by its
 * container (`application/zip`) or with the old `x-` prefix. A store accepts a configured subset.
 */
export const LAYOUT_MEDIA_TYPES: Readonly<Record<string, LayoutFormat>> = {
  'application/pdf': 'pdf',
  'application/ofd': 'ofd',
  'application/x-ofd': 'ofd',
  'application/zip': 'ofd',
};

/** What a store accepts unless configured otherwise. */
export const DEFAULT_ACCEPTED_MEDIA_TYPES: readonly string[] = ['application/pdf', 'application/ofd'];

const CANONICAL: Readonly<Record<LayoutFormat, LayoutMediaType>> = {
  pdf: 'application/pdf',
  ofd: 'application/ofd',
};

export function canonicalMediaType(format: LayoutFormat): LayoutMediaType {
  return CANONICAL[format];
}

/** The format a declared media type names, if it is among `accepted`; case and parameters (`;…`) are ignored. */
export function layoutFormatOf(declared: string, accepted: readonly string[]): LayoutFormat {
  const essence = declared.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const format = LAYOUT_MEDIA_TYPES[essence];
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
/** GB/T 33190: the package's entry file, exactly one, at the root, under this exact name. */
const OFD_ENTRY_FILE = 'OFD.xml';

/** The layout format the bytes are, judged by content alone, or undefined for anything else. */
export function sniffLayoutFormat(bytes: Uint8Array): LayoutFormat | undefined {
  if (startsWith(bytes, PDF_HEADER)) return 'pdf';
  if (startsLikeZip(bytes) && zipEntryNames(bytes)?.includes(OFD_ENTRY_FILE)) return 'ofd';
  return undefined;
}

/** Throws DocumentContentMismatch unless the bytes are a document of the declared format. */
export function checkLayoutContent(declared: LayoutFormat, bytes: Uint8Array): void {
  const found = sniffLayoutFormat(bytes);
  if (found !== declared) throw new DocumentContentMismatch(describeFormat(declared), describeContent(bytes));
}

function describeFormat(format: LayoutFormat): string {
  return format === 'pdf' ? 'PDF (opening with %PDF-)' : 'OFD (a ZIP package holding OFD.xml)';
}

/** What the bytes look like, for the error message: the format, or the container, or the first bytes. */
function describeContent(bytes: Uint8Array): string {
  const format = sniffLayoutFormat(bytes);
  if (format !== undefined) return describeFormat(format);
  if (bytes.byteLength === 0) return 'empty';
  if (startsLikeZip(bytes)) {
    return zipEntryNames(bytes) === undefined
      ? 'a malformed or truncated ZIP archive'
      : `a ZIP archive without ${OFD_ENTRY_FILE} at its root`;
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `neither PDF nor OFD (first bytes ${head})`;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.byteLength >= prefix.byteLength && prefix.every((b, i) => bytes[i] === b);
}
