import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

/**
 * Something that signs JWS signing input: a KMS key on AWS, a software key locally.
 * The core never holds private keys; it hands the bytes to sign to a signer.
 */
export interface JwsSigner {
  /** JOSE algorithm of the signatures this signer makes. */
  readonly alg: 'ES256';
  /** Key id published in the JWKS and placed in the JWS header. */
  readonly kid: string;
  /** Signs the JWS signing input; resolves to the JOSE signature (raw r‖s for ES256). */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** A public key as published in a JWKS. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg?: string;
}

export type JsonObject = Record<string, unknown>;

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(typeof bytes === 'string' ? encoder.encode(bytes) : bytes).toString('base64url');
}

export function fromBase64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

// Decoding into one reused buffer rather than a fresh Buffer per part: a verify decodes up to a
// dozen parts, and each fresh Buffer is a pool slice plus a typed-array object to collect.
const SCRATCH_BYTES = 8192;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/** The UTF-8 text that base64url `text` encodes (a JWS header or payload, a disclosure). */
export function base64urlToText(text: string): string {
  if (text.length > (SCRATCH_BYTES / 3) * 4) return Buffer.from(text, 'base64url').toString('utf8');
  const length = scratch.write(text, 0, 'base64url');
  return scratch.toString('utf8', 0, length);
}

/** Signs a compact JWS whose header gets `alg` and `kid` from the signer. */
export async function signCompactJws(
  header: JsonObject,
  payload: JsonObject,
  signer: JwsSigner,
): Promise<string> {
  const protectedHeader = base64url(JSON.stringify({ ...header, alg: signer.alg, kid: signer.kid }));
  const signingInput = `${protectedHeader}.${base64url(JSON.stringify(payload))}`;
  const signature = await signer.sign(encoder.encode(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

export interface DecodedJws {
  header: JsonObject;
  payload: JsonObject;
  signingInput: string;
  signature: Buffer;
}

/** Splits and parses a compact JWS without checking anything; throws on malformed input. */
export function decodeCompactJws(jws: string): DecodedJws {
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Error(`expected a compact JWS of 3 parts, found ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(base64urlToText(h)) as unknown;
  const payload = JSON.parse(base64urlToText(p)) as unknown;
  if (!isObject(header)) throw new Error('JWS header is not a JSON object');
  if (!isObject(payload)) throw new Error('JWS payload is not a JSON object');
  return { header, payload, signingInput: `${h}.${p}`, signature: fromBase64url(s) };
}

/** The protected header of a compact JWS alone, its payload left undecoded; throws on a malformed one. */
export function decodeJwsHeader(jws: string): JsonObject {
  const end = jws.indexOf('.');
  const header = JSON.parse(base64urlToText(end < 0 ? jws : jws.slice(0, end))) as unknown;
  if (!isObject(header)) throw new Error('JWS header is not a JSON object');
  return header;
}

const keyCache = new WeakMap<PublicJwk, KeyObject>();

/** Imports a public JWK once per JWK object; verification is on the hot path. */
export function publicKeyOf(jwk: PublicJwk): KeyObject {
  let key = keyCache.get(jwk);
  if (!key) {
    key = createPublicKey({ key: jwk, format: 'jwk' });
    keyCache.set(jwk, key);
  }
  return key;
}

/** Checks an ES256 signature (raw r‖s) over the signing input with node:crypto. */
export function verifyEs256(signingInput: string, signature: Uint8Array, jwk: PublicJwk): boolean {
  if (signature.length !== 64) return false;
  // The KeyObject itself and a DER signature, not `{ key, dsaEncoding: 'ieee-p1363' }`: node 24
  // tells a KeyObject from an options object by brand checks that throw and catch, twice for an
  // options object, and each throw captures a stack trace: measured at ≈45 µs per call from a
  // shallow stack and ≈60 µs from within the SD-JWT VC verify, beside ≈75 µs of ECDSA work.
  // Node converts r‖s to the same DER itself.
  // Buffer.from, not TextEncoder: same UTF-8 bytes, but from node's pooled slab rather than a
  // fresh off-heap allocation per call.
  return verify('sha256', Buffer.from(signingInput, 'utf8'), publicKeyOf(jwk), p1363ToDer(signature));
}

/**
 * A raw r‖s ECDSA P-256 signature (JOSE, IEEE P1363) as the DER `ECDSA-Sig-Value` SEQUENCE
 * node:crypto takes by default: each half minimal, with a 0x00 before a high bit. Hand-written:
 * node does this conversion only behind the options object avoided above, and jose (WebCrypto,
 * async) has no synchronous verify to use instead; twenty lines are not worth a dependency.
 */
export function p1363ToDer(signature: Uint8Array): Buffer {
  if (signature.length !== 64)
    throw new RangeError(`expected a 64-byte r‖s signature, found ${signature.length} bytes`);
  const rStart = integerStart(signature, 0);
  const sStart = integerStart(signature, 32);
  const rPad = signature[rStart]! & 0x80 ? 1 : 0;
  const sPad = signature[sStart]! & 0x80 ? 1 : 0;
  const rLength = 32 - rStart + rPad;
  const sLength = 64 - sStart + sPad;
  const der = Buffer.allocUnsafe(6 + rLength + sLength);
  der[0] = 0x30;
  der[1] = 4 + rLength + sLength; // at most 70: short-form lengths throughout
  der[2] = 0x02;
  der[3] = rLength;
  let at = 4;
  if (rPad) der[at++] = 0;
  for (let i = rStart; i < 32; i++) der[at++] = signature[i]!;
  der[at++] = 0x02;
  der[at++] = sLength;
  if (sPad) der[at++] = 0;
  for (let i = sStart; i < 64; i++) der[at++] = signature[i]!;
  return der;
}

// First byte of the minimal big-endian integer in signature[from, from + 32): leading zero
// bytes dropped, but one kept for the value 0 (which verify then rejects, as it must).
function integerStart(signature: Uint8Array, from: number): number {
  let i = from;
  while (i < from + 31 && signature[i] === 0) i++;
  return i;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
