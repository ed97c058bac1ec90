import { randomBytes } from 'node:crypto';
import { parseLicenseId } from '../identifiers/license-id.ts';
import { type JsonObject, type JwsSigner, type PublicJwk, signCompactJws } from '../jws.ts';
import {
  ALWAYS_VISIBLE_CLAIMS,
  LICENSE_ID_CLAIM,
  LICENSE_VERSION_CLAIM,
  SD_ALG,
  SD_JWT_VC_TYP,
  SD_RESERVED_NAMES,
  type StatusListReference,
  vctForLicenseType,
} from './claims.ts';
import { sdDigest } from './digest.ts';
import { SdJwtVcError } from './errors.ts';

/** What a signed license states; times are NumericDate seconds (the core has no clock). */
export interface SdJwtVcLicense {
  /**
   * GB/T 36904 identifier of this license version; its type code becomes `vct` (through
   * {@link vctForLicenseType}) and its version `license_version`.
   */
  licenseId: string;
  /** `iss`: the issuing agency (see `agencyIssuer`). */
  issuer: string;
  /** The license's data: each top-level field becomes one disclosure. */
  fields: Readonly<Record<string, unknown>>;
  /** `iat`: when the license was signed. */
  issuedAt: number;
  /** `nbf`: start of the validity period. */
  validFrom: number;
  /** `exp`: end of the validity period; `null` for long-term validity (长期), which has no `exp`. */
  validUntil: number | null;
  status: StatusListReference;
  /** The holder's device key (手机盾); becomes `cnf.jwk`, and presentations then carry a KB-JWT. */
  holderKey?: PublicJwk | undefined;
}

export interface IssueSdJwtVcOptions {
  /** Decoy digests added to `_sd`, hiding how many fields the license has. Default 2. */
  decoys?: number;
  /**
   * Source of disclosure salts and decoy values. Default: 16 bytes (128 bits, RFC 9901 §9.3)
   * each from node:crypto `randomBytes`, base64url — the core's one use of randomness, which
   * computes and does no I/O. Tests may pass a deterministic source.
   */
  salt?: () => string;
}

/** One disclosure as issued: the holder keeps these to present a subset later. */
export interface IssuedDisclosure {
  name: string;
  value: unknown;
  salt: string;
  /** base64url of the JSON array `[salt, name, value]`, as it appears after a `~`. */
  encoded: string;
  /** The digest listed in `_sd`. */
  digest: string;
}

export interface IssuedSdJwtVc {
  /** Compact SD-JWT with every disclosure, ending with `~` (no key binding). */
  sdJwt: string;
  disclosures: IssuedDisclosure[];
  /** The signed JWT payload (digests in `_sd`, no field values). */
  payload: JsonObject;
}

const SALT_BYTES = 16;

/**
 * Signs a license as an SD-JWT VC, every field selectively disclosable, through the async
 * {@link JwsSigner}, so KMS and other algorithms plug in without touching this.
 *
 * The `_sd` packing is written here rather than taken from `@sd-jwt/core`'s `pack`: for a flat
 * record it is a few lines, while `pack` (a generator-based async shim per claim, js-base64,
 * and one `randomBytes` call per salt) cost ≈300 µs CPU per 12-field license on the benchmark
 * machine — more than the ES256 signature itself. The library remains the interop referee:
 * the tests have it verify what we issue and issue what we verify.
 */
export async function issueSdJwtVc(
  license: SdJwtVcLicense,
  signer: JwsSigner,
  options: IssueSdJwtVcOptions = {},
): Promise<IssuedSdJwtVc> {
  const { vct, version } = checkLicense(license);
  const decoys = options.decoys ?? 2;
  if (!Number.isInteger(decoys) || decoys < 0) {
    throw invalid(`expected a non-negative integer number of decoys, found ${decoys}`);
  }
  const names = Object.keys(license.fields);
  const salt = options.salt ?? batchSalts(names.length + decoys);

  const disclosures: IssuedDisclosure[] = [];
  const sd: string[] = [];
  for (const name of names) {
    const value = license.fields[name];
    const s = salt();
    const encoded = Buffer.from(JSON.stringify([s, name, value]), 'utf8').toString('base64url');
    const digest = sdDigest(encoded);
    disclosures.push({ name, value, salt: s, encoded, digest });
    sd.push(digest);
  }
  // RFC 9901 §4.2.5: a decoy is the digest of a random value, indistinguishable from a real one.
  for (let i = 0; i < decoys; i += 1) sd.push(sdDigest(salt()));
  // Sorted, so the position of a digest says nothing about which field it hides.
  sd.sort();

  const payload: JsonObject = {
    iss: license.issuer,
    vct,
    iat: license.issuedAt,
    nbf: license.validFrom,
    ...(license.validUntil === null ? {} : { exp: license.validUntil }),
    [LICENSE_ID_CLAIM]: license.licenseId,
    [LICENSE_VERSION_CLAIM]: version,
    status: { status_list: { idx: license.status.idx, uri: license.status.uri } },
    ...(license.holderKey ? { cnf: { jwk: publicMembers(license.holderKey) } } : {}),
    _sd: sd,
    _sd_alg: SD_ALG,
  };
  const jwt = await signCompactJws({ typ: SD_JWT_VC_TYP }, payload, signer);

  const sdJwt = `${jwt}~${disclosures.map((d) => `${d.encoded}~`).join('')}`;
  return { sdJwt, disclosures, payload };
}

// One `randomBytes` call per license rather than per salt: each call costs as much as hashing
// the disclosure. 16 bytes (128 bits) per salt, as RFC 9901 §9.3 recommends.
function batchSalts(count: number): () => string {
  const pool = randomBytes(SALT_BYTES * Math.max(count, 1));
  let next = 0;
  return () => {
    if (next + SALT_BYTES > pool.length) return randomBytes(SALT_BYTES).toString('base64url');
    const salt = pool.toString('base64url', next, next + SALT_BYTES);
    next += SALT_BYTES;
    return salt;
  };
}

// Returns what the identifier implies; throws on input the platform should never have let through.
function checkLicense(license: SdJwtVcLicense): { vct: string; version: string } {
  const names = Object.keys(license.fields);
  if (names.length === 0) throw invalid('expected at least one license field, found none');
  for (const name of names) {
    if (SD_RESERVED_NAMES.has(name) || ALWAYS_VISIBLE_CLAIMS.has(name)) {
      throw invalid(`license field "${name}" collides with a claim the credential reserves`);
    }
    if (license.fields[name] === undefined) throw invalid(`license field "${name}" has no value`);
  }
  const id = parseLicenseId(license.licenseId);
  if (!id.valid) throw invalid(`expected a GB/T 36904 license identifier: ${id.reason}`);
  const { typeCode, version } = id.parts;
  if (typeof license.issuer !== 'string' || license.issuer === '')
    throw invalid('expected an issuer, found none');
  for (const [claim, value] of [
    ['issuedAt', license.issuedAt],
    ['validFrom', license.validFrom],
  ] as const) {
    if (!Number.isFinite(value)) throw invalid(`expected ${claim} in NumericDate seconds, found ${value}`);
  }
  if (
    license.validUntil !== null &&
    !(Number.isFinite(license.validUntil) && license.validUntil > license.validFrom)
  ) {
    throw invalid(
      `expected validUntil after validFrom ${license.validFrom} or null, found ${license.validUntil}`,
    );
  }
  const { idx, uri } = license.status;
  if (!Number.isSafeInteger(idx) || idx < 0 || typeof uri !== 'string' || uri === '') {
    throw invalid(`expected a status list reference {uri, idx ≥ 0}, found ${JSON.stringify(license.status)}`);
  }
  if (license.holderKey && 'd' in license.holderKey) {
    throw invalid('the holder key for cnf must be a public key, found a private one');
  }
  return { vct: vctForLicenseType(typeCode), version };
}

// Only the public members go into `cnf.jwk`: never `kid`-only hints or private parameters.
function publicMembers(jwk: PublicJwk): JsonObject {
  const out: JsonObject = {};
  for (const member of ['kty', 'crv', 'x', 'y', 'n', 'e'] as const) {
    if (jwk[member] !== undefined) out[member] = jwk[member];
  }
  return out;
}

function invalid(message: string): SdJwtVcError {
  return new SdJwtVcError('invalid_license_input', message);
}
