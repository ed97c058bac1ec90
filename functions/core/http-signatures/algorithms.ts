// The two RFC 9421 signature algorithms agencies may use (§3.3.4 ecdsa-p256-sha256, §3.3.6
// ed25519), on node:crypto. ECDSA signatures travel as raw r‖s (64 bytes, IEEE P1363), never
// DER; node makes and takes DER, converted here on both sides.
import { createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import { p1363ToDer } from '../jws.ts';
import { derToRawEcdsaSignature } from '../keys/ecdsa-signature.ts';

export const HTTP_SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'ed25519'] as const;
export type HttpSignatureAlgorithm = (typeof HTTP_SIGNATURE_ALGORITHMS)[number];

/** Both algorithms make 64-byte signatures: r‖s for P-256, R‖S for Ed25519. */
export const SIGNATURE_LENGTH = 64;

export function isHttpSignatureAlgorithm(value: unknown): value is HttpSignatureAlgorithm {
  return (HTTP_SIGNATURE_ALGORITHMS as readonly unknown[]).includes(value);
}

/** A key that does not fit the algorithm it is used with. */
export class SigningKeyMismatch extends Error {
  readonly code = 'SIGNING_KEY_MISMATCH';
  readonly algorithm: HttpSignatureAlgorithm;
  constructor(algorithm: HttpSignatureAlgorithm, found: string) {
    super(`algorithm ${algorithm} needs ${expectedKeyType(algorithm)} key, found ${found}`);
    this.name = 'SigningKeyMismatch';
    this.algorithm = algorithm;
  }
}

function expectedKeyType(algorithm: HttpSignatureAlgorithm): string {
  return algorithm === 'ed25519' ? 'an Ed25519' : 'a P-256 EC';
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `${key.type} ${key.asymmetricKeyType ?? 'symmetric'}${curve ? ` ${curve}` : ''} key`;
}

/** Throws {@link SigningKeyMismatch} unless the key is of the algorithm's curve. */
export function assertKeyFitsAlgorithm(key: KeyObject, algorithm: HttpSignatureAlgorithm): void {
  const fits =
    algorithm === 'ed25519'
      ? key.asymmetricKeyType === 'ed25519'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!fits) throw new SigningKeyMismatch(algorithm, describeKey(key));
}

/** Signs a signature base (RFC 9421 §3.1); returns the raw 64-byte signature. */
export function signSignatureBase(
  base: string,
  privateKey: KeyObject,
  algorithm: HttpSignatureAlgorithm,
): Uint8Array {
  if (privateKey.type !== 'private') throw new SigningKeyMismatch(algorithm, describeKey(privateKey));
  assertKeyFitsAlgorithm(privateKey, algorithm);
  const data = Buffer.from(base, 'utf8');
  // ECDSA: the KeyObject and a DER answer converted here, not `{ key, dsaEncoding }` (the brand
  // checks below cost more than the signature: measured 73 → 31 µs).
  return algorithm === 'ed25519'
    ? sign(null, data, privateKey)
    : derToRawEcdsaSignature(sign('sha256', data, privateKey), 32);
}

/**
 * Checks a raw signature over a signature base (RFC 9421 §3.2). False for a signature of the
 * wrong length or a key that does not fit the algorithm, rather than throwing: to the caller
 * both are simply a signature that does not verify.
 */
export function verifySignatureBase(
  base: string,
  signature: Uint8Array,
  publicKey: KeyObject,
  algorithm: HttpSignatureAlgorithm,
): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  try {
    assertKeyFitsAlgorithm(publicKey, algorithm);
  } catch {
    return false;
  }
  const data = Buffer.from(base, 'utf8');
  // The KeyObject and a DER signature rather than `{ key, dsaEncoding }`: node 24 tells the two
  // apart by brand checks that throw and catch, ≈45 µs per call (see verifyEs256 in jws.ts).
  return algorithm === 'ed25519'
    ? verify(null, data, publicKey, signature)
    : verify('sha256', data, publicKey, p1363ToDer(signature));
}

// Keys arrive as JWKs on every request (one config read carries the agency and its keys), so
// importing them is cached by their public coordinates. Bounded: a registry holds thousands of
// keys, and the oldest import is dropped first.
const MAX_CACHED_KEYS = 1024;
const importedKeys = new Map<string, KeyObject>();

/** Imports a public JWK (P-256 or Ed25519), cached by its coordinates. */
export function publicKeyFromJwk(jwk: JsonWebKey): KeyObject {
  const cacheKey = `${jwk.kty}|${jwk.crv}|${jwk.x}|${jwk.y ?? ''}`;
  let key = importedKeys.get(cacheKey);
  if (!key) {
    if ('d' in jwk && jwk.d !== undefined) {
      throw new TypeError('expected a public JWK, found one carrying its private part d');
    }
    const publicOnly: JsonWebKey = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    if (jwk.y !== undefined) publicOnly.y = jwk.y;
    key = createPublicKey({ key: publicOnly, format: 'jwk' });
    if (importedKeys.size >= MAX_CACHED_KEYS) {
      const oldest = importedKeys.keys().next().value;
      if (oldest !== undefined) importedKeys.delete(oldest);
    }
    importedKeys.set(cacheKey, key);
  }
  return key;
}
