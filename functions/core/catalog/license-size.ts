import type { FieldSpec } from './license-type.ts';

// How much data one license may carry. A license version is stored as one DynamoDB item, which
// holds at most 400 KB (attribute names and values as UTF-8), and its data is the bulk of it: each
// field is a disclosure — [salt, name, value] as JSON, base64url (×4/3) — and the disclosures are
// sealed in one ESDK message and kept base64 (×4/3 again; the message's framing adds about 1%).
// Measured with real issues (test/unit/app/license-size.test.ts; over the wire with the ESDK,
// test/integration/license-repository/item-size.test.ts): the item takes 1.8 times the data's
// bytes as counted below, plus about 100 bytes a field (salt, and the digest in the issuer-signed
// JWT) and 3 KB for the rest (claims, signature, keys, links).
//
// So a license's data is held to MAX_LICENSE_DATA_BYTES, twice: a license type whose fields could
// carry more at their largest is refused when registered (license-type.ts), which alone keeps
// every license of every registrable type within it; and the data of each issue and re-issue is
// counted before anything is stored or signed (license-data.ts) — never met with a registrable
// type, it holds should the first count ever be wrong about what a character takes.

/**
 * The most a license's data may take, counted as {@link licenseDataBytes} does. At 128 KiB the
 * largest license of a registrable type makes an item of 252 KB (128 fields, measured), leaving
 * the item over 150 KB for what a license gathers after it is issued — its status history, at
 * most MAX_KEPT_STATUS_CHANGES (20) changes of up to about 3 KB each with a 1,000-character reason,
 * ≈65 KB — while a real type's worst case is far below it (the demo types': at most 19 KB).
 */
export const MAX_LICENSE_DATA_BYTES = 128 * 1024;

/**
 * The most UTF-8 bytes one character of license text takes as JSON. A string field's maxLength
 * counts characters (code points), and one beyond the BMP — CJK Extension B, as in rare
 * names — is 4 bytes; `"` and `\` escape to 2. Control characters, which JSON escapes to 6, are
 * refused (license-data.ts), as are lone surrogates, at the HTTP edge (http/request.ts).
 */
export const MAX_BYTES_PER_CHARACTER = 4;

/**
 * A string field without maxLength is still bounded: a license is one DynamoDB item and one
 * signed token, and 经营范围, the longest printed field, stays well below this.
 */
export const DEFAULT_MAX_LENGTH = 4000;

/** The longest URI an image-ref field takes, in UTF-16 code units. */
export const MAX_URI_LENGTH = 2048;

/** The bytes a license's data takes: each field's name and value as JSON, UTF-8, as its disclosure carries them. */
export function licenseDataBytes(data: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(data)) bytes += jsonBytes(name) + jsonBytes(value);
  return bytes;
}

/** The most {@link licenseDataBytes} can count for data of these fields, each at its largest. */
export function worstCaseDataBytes(fields: readonly FieldSpec[]): number {
  let bytes = 0;
  for (const field of fields) bytes += jsonBytes(field.name) + worstValueBytes(field);
  return bytes;
}

const IDENTIFIER_LENGTH = 18;
// The longest JSON a finite double gives (JSON.stringify(-2.2250738585072014e-308)).
const LONGEST_NUMBER = '-2.2250738585072014e-308';
const LONGEST_DATE = '0000-00-00';

function worstValueBytes(field: FieldSpec): number {
  switch (field.type) {
    case 'string':
      // A citizen identity number or USCC is checked to be 18 of [0-9A-Z] (identifiers/).
      if (field.identifier !== undefined) return IDENTIFIER_LENGTH + 2;
      return (field.maxLength ?? DEFAULT_MAX_LENGTH) * MAX_BYTES_PER_CHARACTER + 2;
    case 'image-ref':
      // Its length counts UTF-16 code units: at most 3 bytes each (a BMP character; one beyond
      // the BMP is 4 bytes in 2 units).
      return MAX_URI_LENGTH * 3 + 2;
    case 'enum':
      return Math.max(0, ...(field.values ?? []).map(jsonBytes));
    case 'date':
      return jsonBytes(LONGEST_DATE);
    case 'number':
      return LONGEST_NUMBER.length;
    case 'boolean':
      return 'false'.length;
    case 'period':
      // `long-term` is shorter than a date.
      return jsonBytes({ from: LONGEST_DATE, until: LONGEST_DATE });
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
