// The elicense profile of SD-JWT VC: which claims every signed license carries in the clear,
// which names a license field may not take, and how `vct` and `iss` are built.

/** Media type suffix placed in the issuer-signed JWT's `typ` header (SD-JWT VC draft). */
export const SD_JWT_VC_TYP = 'dc+sd-jwt';
/** `typ` header of a key-binding JWT (RFC 9901 §4.3). */
export const KB_JWT_TYP = 'kb+jwt';
/** The one digest algorithm issued and accepted (`_sd_alg`). */
export const SD_ALG = 'sha-256';

/** GB/T 36904 identifier of the signed license version. */
export const LICENSE_ID_CLAIM = 'license_id';
/** GB/T 36904 three-digit version (`001` first) of the signed license. */
export const LICENSE_VERSION_CLAIM = 'license_version';

/**
 * Claims every signed license shows in the clear. The SD-JWT VC draft forbids disclosing
 * `iss`, `nbf`, `exp`, `cnf`, `vct` and `status` selectively: a verifier cannot check a key,
 * a validity window or a status it cannot see. We add the license identifier and version: the
 * verifier needs them to record what it checked (audit), to notice a superseded version and
 * to ask the issuer about it, and they reveal nothing about the holder — the identifier names
 * the type and issuer that `vct` and `iss` already show, plus the issuer's serial, which the
 * status-list index and the issuer signature make correlatable anyway.
 */
export const ALWAYS_VISIBLE_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'vct',
  'vct#integrity',
  'iat',
  'nbf',
  'exp',
  'status',
  'cnf',
  LICENSE_ID_CLAIM,
  LICENSE_VERSION_CLAIM,
]);

/** Names RFC 9901 reserves for its own structure; no claim may take them. */
export const SD_RESERVED_NAMES: ReadonlySet<string> = new Set(['_sd', '...', '_sd_alg']);

/** Claims the SD-JWT VC draft (§3.2.2.2) forbids inside a disclosure. */
export const NEVER_DISCLOSED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'nbf',
  'exp',
  'cnf',
  'vct',
  'vct#integrity',
  'status',
]);

const TYPE_CODE = /^[0-9A-Z]{18}[0-9]{3}$/;

/** What every license type's `vct` begins with; the type code follows. */
export const VCT_PREFIX = 'urn:gbt36904:license-type:';

/**
 * `vct` of a license type: `urn:gbt36904:license-type:<type code>`. The GB/T 36904 type code
 * (defining ministry's USCC + sequence) is already nationally unique, so a URN built from it
 * is collision-resistant without tying every credential to one platform host name; verifiers
 * map it to the type's schema through the platform catalog, not by fetching it.
 */
export function vctForLicenseType(typeCode: string): string {
  if (!TYPE_CODE.test(typeCode)) {
    throw new TypeError(`expected a 21-character GB/T 36904 type code, found "${typeCode}"`);
  }
  return `${VCT_PREFIX}${typeCode}`;
}

/**
 * `iss` of an issuing agency: `<platform base URL>/agencies/<agency USCC>`. An https URL lets a
 * verifier find the agency's published keys (its JWKS under that URL, or the SD-JWT VC
 * `/.well-known/jwt-vc-issuer` metadata), and the USCC in it maps to the platform's key
 * registry; `kid` in the header then picks the key.
 */
export function agencyIssuer(platformBaseUrl: string, agencyUscc: string): string {
  return `${platformBaseUrl.replace(/\/+$/, '')}/agencies/${agencyUscc}`;
}

/** The USCC an issuer URI of this platform names, or undefined for any other `iss`. */
export function agencyOfIssuer(platformBaseUrl: string, iss: string): string | undefined {
  const prefix = `${platformBaseUrl.replace(/\/+$/, '')}/agencies/`;
  if (!iss.startsWith(prefix)) return undefined;
  const uscc = iss.slice(prefix.length);
  return /^[0-9A-Z]{18}$/.test(uscc) ? uscc : undefined;
}

/** Where a status list is published: `<platform base URL>/status-lists/<list id>`. */
export function statusListUri(platformBaseUrl: string, listId: string): string {
  return `${platformBaseUrl.replace(/\/+$/, '')}/status-lists/${encodeURIComponent(listId)}`;
}

/** The list id a status-list URI of this platform names, or undefined for any other URI. */
export function statusListIdOfUri(platformBaseUrl: string, uri: string): string | undefined {
  const prefix = `${platformBaseUrl.replace(/\/+$/, '')}/status-lists/`;
  if (!uri.startsWith(prefix)) return undefined;
  const listId = decodeURIComponent(uri.slice(prefix.length));
  return listId.length > 0 && !listId.includes('/') ? listId : undefined;
}

/** The Token Status List reference a license carries in `status.status_list`. */
export interface StatusListReference {
  uri: string;
  idx: number;
}
