import { hash, randomBytes } from 'node:crypto';
import { pack } from '@sd-jwt/core';
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
   * Source of disclosure salts. Default: 16 bytes (128 bits, RFC 9901 §9.3) from node:crypto
   * `randomBytes`, base64url — the core's one use of randomness, which computes and does no I/O.
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

const defaultSalt = (): string => randomBytes(16).toString('base64url');

// The library's hasher contract; only SHA-256 is ever asked for because we fix `_sd_alg`.
const hasher = (data: string | ArrayBuffer): Uint8Array =>
  hash('sha256', typeof data === 'string' ? data : new Uint8Array(data), 'buffer');

/**
 * Signs a license as an SD-JWT VC, every field selectively disclosable. `_sd` packing (salted
 * disclosures, digests, decoys, sorted digests) is `@sd-jwt/core`'s `pack`; the JWT is signed
 * through the async {@link JwsSigner}, so KMS and other algorithms plug in without touching this.
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
  const salt = options.salt ?? defaultSalt;
  const names = Object.keys(license.fields);
  const { packedClaims, disclosures } = await pack(
    { ...license.fields },
    // The library's frame type cannot express "every key of an open record"; the shape is right.
    { _sd: names, _sd_decoy: decoys } as unknown as Parameters<typeof pack>[1],
    { hasher, alg: SD_ALG },
    () => salt(),
  );

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
    ...(packedClaims as JsonObject),
    _sd_alg: SD_ALG,
  };
  const jwt = await signCompactJws({ typ: SD_JWT_VC_TYP }, payload, signer);

  const issued: IssuedDisclosure[] = [];
  for (const d of disclosures) {
    const encoded = d.encode();
    issued.push({ name: d.key ?? '', value: d.value, salt: d.salt, encoded, digest: sdDigest(encoded) });
  }
  const sdJwt = `${jwt}~${issued.map((d) => `${d.encoded}~`).join('')}`;
  return { sdJwt, disclosures: issued, payload };
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
