import { deflateSync, inflateSync } from 'node:zlib';

// Token Status List (draft-ietf-oauth-status-list): a packed array of small status values, one
// entry per issued license, published as base64url(zlib(bytes)) inside a signed JWT.

/** Status values the platform writes (STANDARDS.md "Status values"). */
export const STATUS_VALID = 0;
/** Revoked or superseded: final. */
export const STATUS_INVALID = 1;
/** Suspended or reported lost: reversible. */
export const STATUS_SUSPENDED = 2;
export type LicenseStatusValue = typeof STATUS_VALID | typeof STATUS_INVALID | typeof STATUS_SUSPENDED;

/** Bits per entry the draft allows; the platform uses 2. */
export type StatusBits = 1 | 2 | 4 | 8;
export const PLATFORM_STATUS_BITS: StatusBits = 2;

/**
 * Whether `id` has the shape of a status list id: what a published list's URI and its object key
 * may carry. Anything else names no list, whatever a caller put in the path.
 */
export function isStatusListId(id: string): boolean {
  return /^[0-9A-Za-z._-]{1,200}$/.test(id);
}

/** Decompressed lists larger than this are refused unless the caller raises the bound (zip bombs). */
export const DEFAULT_MAX_LIST_BYTES = 16 * 1024 * 1024;

export type StatusListErrorCode =
  | 'STATUS_LIST_BITS_UNSUPPORTED'
  | 'STATUS_LIST_INDEX_OUT_OF_RANGE'
  | 'STATUS_LIST_VALUE_OUT_OF_RANGE'
  | 'STATUS_LIST_SIZE_INVALID'
  | 'STATUS_LIST_MALFORMED';

/** Any failure to build, read or write a status list; `code` is stable, the message says what was found. */
export class StatusListError extends Error {
  readonly code: StatusListErrorCode;
  constructor(code: StatusListErrorCode, message: string) {
    super(message);
    this.name = 'StatusListError';
    this.code = code;
  }
}

export function isStatusBits(value: unknown): value is StatusBits {
  return value === 1 || value === 2 || value === 4 || value === 8;
}

function assertBits(bits: unknown): asserts bits is StatusBits {
  if (!isStatusBits(bits)) {
    throw new StatusListError(
      'STATUS_LIST_BITS_UNSUPPORTED',
      `expected bits of 1, 2, 4 or 8, found ${String(bits)}`,
    );
  }
}

/**
 * A status list over a byte array: entry `i` sits in byte ⌊i·bits/8⌋, least significant bits
 * first, exactly as the draft lays it out, so the bytes can be compressed and published as is.
 */
export class StatusList {
  readonly bits: StatusBits;
  /** Number of entries; `bytes.length · 8 / bits` unless the list was built shorter. */
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly #mask: number;

  private constructor(bits: StatusBits, size: number, bytes: Uint8Array) {
    this.bits = bits;
    this.size = size;
    this.bytes = bytes;
    this.#mask = (1 << bits) - 1;
  }

  /** An all-valid list of `size` entries. */
  static create(size: number, bits: StatusBits = PLATFORM_STATUS_BITS): StatusList {
    assertBits(bits);
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new StatusListError(
        'STATUS_LIST_SIZE_INVALID',
        `expected a positive integer size, found ${size}`,
      );
    }
    return new StatusList(bits, size, new Uint8Array(Math.ceil((size * bits) / 8)));
  }

  /**
   * Wraps existing bytes (not copied). `size` defaults to every entry the bytes can hold; a
   * smaller size must still need all the bytes given, so a list cannot carry unseen trailing data.
   */
  static fromBytes(bytes: Uint8Array, bits: StatusBits, size?: number): StatusList {
    assertBits(bits);
    const capacity = (bytes.length * 8) / bits;
    const entries = size ?? capacity;
    if (!Number.isSafeInteger(entries) || entries < 1 || entries > capacity) {
      throw new StatusListError(
        'STATUS_LIST_SIZE_INVALID',
        `expected a size of 1 to ${capacity} entries for ${bytes.length} bytes at ${bits} bits, found ${entries}`,
      );
    }
    if (Math.ceil((entries * bits) / 8) !== bytes.length) {
      throw new StatusListError(
        'STATUS_LIST_SIZE_INVALID',
        `expected ${Math.ceil((entries * bits) / 8)} bytes for ${entries} entries, found ${bytes.length}`,
      );
    }
    return new StatusList(bits, entries, bytes);
  }

  /** Decodes a draft `lst` (base64url of zlib-deflated bytes). */
  static fromLst(
    lst: string,
    bits: StatusBits,
    options: { size?: number; maxBytes?: number } = {},
  ): StatusList {
    return StatusList.fromBytes(decodeLst(lst, options.maxBytes), bits, options.size);
  }

  /** The status at `index`. */
  get(index: number): number {
    if (!(index >= 0 && index < this.size && Number.isInteger(index))) this.#outOfRange(index);
    const bit = index * this.bits;
    return (this.bytes[bit >>> 3]! >>> (bit & 7)) & this.#mask;
  }

  /** Writes `value` at `index`; the value must fit in `bits`. */
  set(index: number, value: number): void {
    if (!(index >= 0 && index < this.size && Number.isInteger(index))) this.#outOfRange(index);
    if (!(Number.isInteger(value) && value >= 0 && value <= this.#mask)) {
      throw new StatusListError(
        'STATUS_LIST_VALUE_OUT_OF_RANGE',
        `expected a status of 0 to ${this.#mask} for ${this.bits} bits, found ${value}`,
      );
    }
    const bit = index * this.bits;
    const shift = bit & 7;
    const at = bit >>> 3;
    this.bytes[at] = (this.bytes[at]! & ~(this.#mask << shift)) | (value << shift);
  }

  /** The draft `lst`: base64url(zlib deflate at the highest level, as the draft recommends). */
  toLst(): string {
    return encodeLst(this.bytes);
  }

  #outOfRange(index: number): never {
    throw new StatusListError(
      'STATUS_LIST_INDEX_OUT_OF_RANGE',
      `expected an integer index from 0 to ${this.size - 1}, found ${index}`,
    );
  }
}

/** base64url(zlib(bytes)), RFC 1950 framing, level 9. */
export function encodeLst(bytes: Uint8Array): string {
  return Buffer.from(deflateSync(bytes, { level: 9 })).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Inverse of {@link encodeLst}; refuses non-base64url text, bad zlib data and output above `maxBytes`. */
export function decodeLst(lst: string, maxBytes: number = DEFAULT_MAX_LIST_BYTES): Uint8Array {
  if (!BASE64URL.test(lst) || lst.length % 4 === 1) {
    throw new StatusListError('STATUS_LIST_MALFORMED', 'expected lst to be unpadded base64url text');
  }
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: maxBytes });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatusListError('STATUS_LIST_MALFORMED', `expected zlib-compressed status bytes: ${reason}`);
  }
  if (inflated.length === 0) {
    throw new StatusListError('STATUS_LIST_MALFORMED', 'expected at least one status byte, found none');
  }
  return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
}
