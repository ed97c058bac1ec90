// KMS returns ECDSA signatures as DER (X9.62 Ecdsa-Sig-Value); JOSE wants the fixed-width
// concatenation r‖s (RFC 7518 §3.4). DER integers are minimal and signed, so r and s arrive
// with a leading 0x00 when their top bit is set and shorter than the coordinate size when
// they have leading zero bytes: both are normalised here.

/** A byte string that is not a DER ECDSA signature of the expected curve size. */
export class MalformedEcdsaSignature extends Error {
  readonly code = 'MALFORMED_ECDSA_SIGNATURE';
  constructor(reason: string) {
    super(`expected a DER ECDSA signature (SEQUENCE of two INTEGERs); ${reason}`);
    this.name = 'MalformedEcdsaSignature';
  }
}

/** Converts a DER ECDSA signature to JOSE raw r‖s, each left-padded to `coordinateBytes` (32 for P-256). */
export function derToRawEcdsaSignature(der: Uint8Array, coordinateBytes = 32): Uint8Array {
  if (der[0] !== 0x30)
    throw new MalformedEcdsaSignature(`found tag 0x${hex(der[0])} instead of SEQUENCE 0x30`);
  const sequence = readLength(der, 1);
  const end = sequence.offset + sequence.length;
  if (end !== der.length) {
    throw new MalformedEcdsaSignature(
      `SEQUENCE says ${sequence.length} bytes of content, found ${der.length - sequence.offset}`,
    );
  }
  const r = readInteger(der, sequence.offset, 'r');
  const s = readInteger(der, r.next, 's');
  if (s.next !== end) throw new MalformedEcdsaSignature(`found ${end - s.next} bytes after s`);

  const raw = new Uint8Array(2 * coordinateBytes);
  place(raw, 0, r.value, coordinateBytes, 'r');
  place(raw, coordinateBytes, s.value, coordinateBytes, 's');
  return raw;
}

function readLength(der: Uint8Array, at: number): { length: number; offset: number } {
  const first = der[at];
  if (first === undefined) throw new MalformedEcdsaSignature('found the input truncated before a length');
  if (first < 0x80) return { length: first, offset: at + 1 };
  // Long form: P-521 signatures (up to 139 bytes) need one length byte; nothing here needs more.
  if (first === 0x81) {
    const length = der[at + 1];
    if (length === undefined || length < 0x80) {
      throw new MalformedEcdsaSignature('found a long-form length that is truncated or not minimal');
    }
    return { length, offset: at + 2 };
  }
  throw new MalformedEcdsaSignature(`found an unsupported length byte 0x${hex(first)}`);
}

function readInteger(der: Uint8Array, at: number, name: string): { value: Uint8Array; next: number } {
  if (der[at] !== 0x02)
    throw new MalformedEcdsaSignature(`found tag 0x${hex(der[at])} for ${name} instead of INTEGER 0x02`);
  const { length, offset } = readLength(der, at + 1);
  if (length === 0) throw new MalformedEcdsaSignature(`found an empty INTEGER for ${name}`);
  const next = offset + length;
  if (next > der.length) throw new MalformedEcdsaSignature(`found ${name} running past the end of the input`);
  const value = der.subarray(offset, next);
  if ((value[0] ?? 0) & 0x80) throw new MalformedEcdsaSignature(`found a negative INTEGER for ${name}`);
  return { value, next };
}

function place(raw: Uint8Array, at: number, integer: Uint8Array, size: number, name: string): void {
  let start = 0;
  while (start < integer.length - 1 && integer[start] === 0) start++;
  const magnitude = integer.subarray(start);
  if (magnitude.length > size) {
    throw new MalformedEcdsaSignature(
      `found ${name} of ${magnitude.length} bytes, more than the ${size} of the curve`,
    );
  }
  raw.set(magnitude, at + size - magnitude.length);
}

function hex(byte: number | undefined): string {
  return byte === undefined ? '(none)' : byte.toString(16).padStart(2, '0');
}
