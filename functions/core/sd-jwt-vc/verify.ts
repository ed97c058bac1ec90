import { LICENSE_ID_ROOT } from '../identifiers/license-id.ts';
import {
  base64urlToText,
  type DecodedJws,
  decodeCompactJws,
  type JsonObject,
  type PublicJwk,
  verifyEs256,
} from '../jws.ts';
import { printable } from '../printable.ts';
import {
  ALWAYS_VISIBLE_CLAIMS,
  KB_JWT_TYP,
  LICENSE_ID_CLAIM,
  LICENSE_VERSION_CLAIM,
  NEVER_DISCLOSED_CLAIMS,
  SD_ALG,
  SD_JWT_VC_TYP,
  type StatusListReference,
  VCT_PREFIX,
} from './claims.ts';
import { sdDigest } from './digest.ts';

// Our own verifier rather than `@sd-jwt/sd-jwt-vc`'s (0.19, read in node_modules). Theirs checks
// the issuer signature through a callback that picks no key by `iss`/`kid`; iat/nbf/exp (no
// skew unless told, Date.now() unless told); the status entry, fetching and re-decoding the
// list on every call; and, only when given a nonce, the KB-JWT's typ, signature, nonce and
// sd_hash. It never checks the header `typ`, `alg` against the key, `iss`, `vct` against
// expectations, `aud`, the KB-JWT's age, that a key-bound credential comes with a KB-JWT, that
// every disclosure's digest is in the signed payload (it silently drops the others), duplicate
// disclosures or digests, reserved, never-disclosable or colliding claim names, or `_sd_alg`;
// and its path runs through WebCrypto promises and a generator-based async shim. This one is
// synchronous node:crypto throughout when the ports are, parses each part once, and names
// every check in its answer.

/** The outcome of one check: `'skipped'` when it does not apply or cannot be evaluated. */
export type CheckOutcome = 'ok' | 'skipped' | `failed: ${string}`;

/** Every check the verifier makes, in order. */
export const SD_JWT_VC_CHECKS = [
  /** Compact SD-JWT structure; every part base64url JSON of the right shape. */
  'format',
  /** Issuer JWT header: `typ` dc+sd-jwt, a supported `alg`, a `kid`. */
  'header',
  /** `iss` present and, when the verifier names issuers, one of them. */
  'issuer',
  /** The issuer's published key for (`iss`, `kid`) verifies the issuer JWT. */
  'signature',
  /** `vct` present and, when the verifier names types, one of them. */
  'vct',
  /** `iat`, `nbf`, `exp` against `now` within the allowed skew. */
  'validity',
  /** The elicense profile: license identifier and version in the clear. */
  'profile',
  /** `_sd_alg`, every disclosure referenced exactly once, no duplicate digest, no reserved or colliding name. */
  'disclosures',
  /** The Token Status List entry is 0 (valid). */
  'status',
  /** A KB-JWT is there when required, with `typ` kb+jwt and a `cnf.jwk` to check it against. */
  'keyBinding',
  /** The KB-JWT verifies with `cnf.jwk`. */
  'kbSignature',
  /** The KB-JWT's `aud` is the verifier. */
  'kbAudience',
  /** The KB-JWT's `nonce` is the verifier's. */
  'kbNonce',
  /** The KB-JWT's `iat` is recent and not in the future. */
  'kbIssuedAt',
  /** The KB-JWT's `sd_hash` covers exactly this presentation. */
  'kbSdHash',
] as const;

export type SdJwtVcCheck = (typeof SD_JWT_VC_CHECKS)[number];
export type SdJwtVcChecks = Record<SdJwtVcCheck, CheckOutcome>;

/** Claims of a credential that passed every check. */
export interface VerifiedSdJwtVc {
  issuer: string;
  vct: string;
  licenseId: string;
  licenseVersion: string;
  issuedAt?: number;
  notBefore?: number;
  /** Absent for long-term validity. */
  expiresAt?: number;
  status?: StatusListReference;
  /** `cnf.jwk`, when the credential is bound to a holder key. */
  holderKey?: JsonObject;
  /** The license fields this presentation shows: the disclosed ones (and any issued in the clear). */
  fields: JsonObject;
  /** The verified KB-JWT's claims, when the presentation carries one. */
  keyBinding?: { audience: string | string[]; nonce: string; issuedAt: number };
}

/** The verifier's answer; serialisable as JSON. */
export interface SdJwtVcVerification {
  valid: boolean;
  checks: SdJwtVcChecks;
  /** Present only when `valid`. */
  claims?: VerifiedSdJwtVc;
}

/**
 * A key the issuer held under the `kid` and has withdrawn (e.g. compromised): it verifies
 * nothing any more. `since` says when, where known.
 */
export interface WithdrawnIssuerKey {
  withdrawn: true;
  since?: string;
}

/**
 * Finds the issuer's published key for a `kid`; undefined when the issuer publishes none, and a
 * WithdrawnIssuerKey when the issuer held it and withdrew it — so the check can say so.
 */
export type IssuerKeyResolver = (
  iss: string,
  kid: string,
) => PublicJwk | WithdrawnIssuerKey | undefined | Promise<PublicJwk | WithdrawnIssuerKey | undefined>;

/** The status-list port: the 2-bit status at `ref` (0 valid, 1 invalid, 2 suspended). */
export type StatusLookup = (ref: StatusListReference) => number | Promise<number>;

/** Checks a JWS signature with a public key; one per JOSE `alg` the verifier accepts. */
export type SignatureCheck = (signingInput: string, signature: Uint8Array, jwk: PublicJwk) => boolean;

export interface VerifySdJwtVcOptions {
  /** The verifier's time, NumericDate seconds (the core has no clock). */
  now: number;
  resolveIssuerKey: IssuerKeyResolver;
  status: StatusLookup;
  /** Issuers accepted; when absent, any issuer the resolver knows a key for. */
  issuers?: readonly string[];
  /** Types accepted; when absent, any `vct`. */
  vcts?: readonly string[];
  /** Allowed clock skew in seconds for every time check. Default 60. */
  skewSeconds?: number;
  /** Whether a credential without a status reference fails. Default true: every license has one. */
  requireStatus?: boolean;
  /**
   * Require a KB-JWT bound to this audience and nonce. Without it, a KB-JWT that is present is
   * still checked (signature, `sd_hash`, age), but `aud` and `nonce` are reported as skipped.
   */
  keyBinding?: { audience: string; nonce: string; maxAgeSeconds?: number };
  /** Signature checks by JOSE `alg`. Default `{ ES256: verifyEs256 }`; SM2 plugs in here. */
  algorithms?: Readonly<Record<string, SignatureCheck>>;
}

const DEFAULT_ALGORITHMS: Readonly<Record<string, SignatureCheck>> = { ES256: verifyEs256 };
const DEFAULT_SKEW_SECONDS = 60;
const DEFAULT_KB_MAX_AGE_SECONDS = 300;

// Checks that must be 'ok' for a valid answer whatever the options; the rest may be skipped
// only where the code below decides they do not apply.
const ALWAYS_REQUIRED: readonly SdJwtVcCheck[] = [
  'format',
  'header',
  'issuer',
  'signature',
  'vct',
  'validity',
  'profile',
  'disclosures',
];

// A literal rather than built from SD_JWT_VC_CHECKS: this runs on every verify.
function skippedChecks(): SdJwtVcChecks {
  return {
    format: 'skipped',
    header: 'skipped',
    issuer: 'skipped',
    signature: 'skipped',
    vct: 'skipped',
    validity: 'skipped',
    profile: 'skipped',
    disclosures: 'skipped',
    status: 'skipped',
    keyBinding: 'skipped',
    kbSignature: 'skipped',
    kbAudience: 'skipped',
    kbNonce: 'skipped',
    kbIssuedAt: 'skipped',
    kbSdHash: 'skipped',
  };
}

interface Disclosure {
  digest: string;
  name: string | undefined;
  value: unknown;
  used: boolean;
}

class DisclosureProblem extends Error {}

/**
 * Verifies an SD-JWT VC presentation (`<jwt>~<disclosures>~[<kb-jwt>]`). Never throws for a
 * bad credential: every check is named in the result, and a malformed input fails `format`.
 */
export async function verifySdJwtVc(
  presentation: string,
  options: VerifySdJwtVcOptions,
): Promise<SdJwtVcVerification> {
  const checks = skippedChecks();
  try {
    return await runChecks(presentation, options, checks);
  } catch (error) {
    // Last resort, so that an input no check foresaw (a value that exhausts the stack where
    // nothing expected it) is still an answer: it fails closed and says so, with the checks
    // made until then; the error's own text stays in the process.
    checks.format = `failed: the presentation could not be checked (${error instanceof Error ? error.name : typeof error})`;
    return { valid: false, checks };
  }
}

async function runChecks(
  presentation: string,
  options: VerifySdJwtVcOptions,
  checks: SdJwtVcChecks,
): Promise<SdJwtVcVerification> {
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const now = options.now;

  // format
  const parsed = parse(presentation);
  if (typeof parsed === 'string') {
    checks.format = `failed: ${parsed}`;
    return { valid: false, checks };
  }
  checks.format = 'ok';
  const { jwt, disclosures, kbJwt, sdHashInput } = parsed;
  const { header, payload } = jwt;

  // header
  const alg = header.alg;
  const kid = header.kid;
  if (header.typ !== SD_JWT_VC_TYP) {
    checks.header = `failed: expected typ "${SD_JWT_VC_TYP}", found ${show(header.typ)}`;
  } else if (typeof alg !== 'string' || !Object.hasOwn(algorithms, alg)) {
    checks.header = `failed: expected alg one of ${Object.keys(algorithms).join(', ')}, found ${show(alg)}`;
  } else if (typeof kid !== 'string' || kid === '') {
    checks.header = `failed: expected a kid naming the issuer's key, found ${show(kid)}`;
  } else if (header.crit !== undefined) {
    checks.header = CRIT_REFUSED;
  } else {
    checks.header = 'ok';
  }

  // issuer
  const iss = payload.iss;
  if (typeof iss !== 'string' || iss === '') {
    checks.issuer = `failed: expected iss, found ${show(iss)}`;
  } else if (options.issuers && !options.issuers.includes(iss)) {
    checks.issuer = `failed: issuer "${iss}" is not one this verifier accepts`;
  } else {
    checks.issuer = 'ok';
  }

  // signature
  if (checks.header !== 'ok' || typeof iss !== 'string') {
    checks.signature = 'failed: no issuer and key id to find the key by';
  } else {
    const outcome = checkIssuerSignature(jwt, iss, kid as string, algorithms[alg as string]!, options);
    checks.signature = typeof outcome === 'string' ? outcome : await outcome;
  }

  // vct
  const vct = payload.vct;
  if (typeof vct !== 'string' || vct === '') {
    checks.vct = `failed: expected vct, found ${show(vct)}`;
  } else if (options.vcts && !options.vcts.includes(vct)) {
    checks.vct = `failed: type "${vct}" is not one this verifier accepts`;
  } else {
    checks.vct = 'ok';
  }

  checks.validity = checkValidity(payload, now, skew);

  const licenseId = payload[LICENSE_ID_CLAIM];
  const licenseVersion = payload[LICENSE_VERSION_CLAIM];
  if (typeof licenseId !== 'string' || licenseId === '') {
    checks.profile = `failed: expected ${LICENSE_ID_CLAIM} in the clear, found ${show(licenseId)}`;
  } else if (typeof licenseVersion !== 'string' || licenseVersion === '') {
    checks.profile = `failed: expected ${LICENSE_VERSION_CLAIM} in the clear, found ${show(licenseVersion)}`;
  } else {
    checks.profile = licenseIdAgreement(licenseId, licenseVersion, iss, vct) ?? 'ok';
  }

  // disclosures
  let fields: JsonObject | undefined;
  const sdAlg = payload._sd_alg;
  if (sdAlg !== undefined && sdAlg !== SD_ALG) {
    checks.disclosures = `failed: expected _sd_alg "${SD_ALG}", found ${show(sdAlg)}`;
  } else {
    try {
      fields = unpackFields(payload, disclosures);
      checks.disclosures = 'ok';
    } catch (error) {
      // A RangeError too: nesting deep enough to exhaust the stack is an attack, not a crash.
      checks.disclosures =
        error instanceof DisclosureProblem
          ? `failed: ${error.message}`
          : `failed: cannot unpack the claims (${(error as Error).message})`;
    }
  }

  // status: only an authenticated reference goes to the port, which may fetch it.
  const status = payload.status;
  const statusRef = statusReference(status);
  if (status === undefined) {
    checks.status = options.requireStatus === false ? 'skipped' : 'failed: no status reference';
  } else if (statusRef === undefined) {
    checks.status = `failed: expected status.status_list {idx, uri}, found ${show(status)}`;
  } else if (checks.signature !== 'ok') {
    checks.status = 'skipped';
  } else {
    const outcome = checkStatus(statusRef, options.status);
    checks.status = typeof outcome === 'string' ? outcome : await outcome;
  }

  const holderKey = holderKeyOf(payload.cnf);
  const kb = checkKeyBinding(checks, kbJwt, holderKey, sdHashInput, algorithms, options, now, skew);

  if (!fields || !passed(checks)) return { valid: false, checks };

  const claims: VerifiedSdJwtVc = {
    issuer: iss as string,
    vct: vct as string,
    licenseId: licenseId as string,
    licenseVersion: licenseVersion as string,
    fields,
  };
  if (typeof payload.iat === 'number') claims.issuedAt = payload.iat;
  if (typeof payload.nbf === 'number') claims.notBefore = payload.nbf;
  if (typeof payload.exp === 'number') claims.expiresAt = payload.exp;
  if (statusRef) claims.status = statusRef;
  if (holderKey) claims.holderKey = holderKey.jwk;
  if (kb) claims.keyBinding = kb;
  return { valid: true, checks, claims };
}

// Object.values rather than a loop over the names, where reading fifteen different keys at one
// site makes each read a megamorphic lookup.
function passed(checks: SdJwtVcChecks): boolean {
  for (const outcome of Object.values(checks)) if (outcome.startsWith('failed')) return false;
  for (const name of ALWAYS_REQUIRED) if (checks[name] !== 'ok') return false;
  return true;
}

interface ParsedPresentation {
  jwt: DecodedJws;
  disclosures: Disclosure[];
  kbJwt: DecodedJws | undefined;
  /** Everything up to and including the last `~`: what `sd_hash` covers. */
  sdHashInput: string;
}

// Returns what went wrong as a string rather than throwing: malformed input is an answer.
function parse(presentation: unknown): ParsedPresentation | string {
  if (typeof presentation !== 'string')
    return `expected a compact SD-JWT string, found ${typeof presentation}`;
  const parts = presentation.split('~');
  if (parts.length < 2) return 'expected <issuer-jwt>~[<disclosure>~…][<kb-jwt>], found no "~"';
  let jwt: DecodedJws;
  try {
    jwt = decodeCompactJws(parts[0]!);
  } catch (error) {
    return `issuer JWT: ${(error as Error).message}`;
  }
  const last = parts.length - 1;
  const disclosures: Disclosure[] = [];
  for (let i = 1; i < last; i++) {
    const encoded = parts[i]!;
    if (encoded === '') return `expected a disclosure at position ${i}, found an empty one`;
    let decoded: unknown;
    try {
      decoded = JSON.parse(base64urlToText(encoded));
    } catch {
      return `disclosure ${i} is not base64url JSON`;
    }
    if (
      !Array.isArray(decoded) ||
      (decoded.length !== 2 && decoded.length !== 3) ||
      typeof decoded[0] !== 'string' ||
      (decoded.length === 3 && typeof decoded[1] !== 'string')
    ) {
      return `disclosure ${i}: expected [salt, name, value] or [salt, value], found ${show(decoded)}`;
    }
    disclosures.push(
      decoded.length === 3
        ? { digest: sdDigest(encoded), name: decoded[1] as string, value: decoded[2], used: false }
        : { digest: sdDigest(encoded), name: undefined, value: decoded[1], used: false },
    );
  }
  let kbJwt: DecodedJws | undefined;
  const kbText = parts[last]!;
  if (kbText !== '') {
    try {
      kbJwt = decodeCompactJws(kbText);
    } catch (error) {
      return `KB-JWT: ${(error as Error).message}`;
    }
  }
  const sdHashInput =
    kbText === '' ? presentation : presentation.slice(0, presentation.length - kbText.length);
  return { jwt, disclosures, kbJwt, sdHashInput };
}

// Synchronous when the resolver is (a registry in memory): no microtask hop on the hot path.
function checkIssuerSignature(
  jwt: DecodedJws,
  iss: string,
  kid: string,
  check: SignatureCheck,
  options: VerifySdJwtVcOptions,
): CheckOutcome | Promise<CheckOutcome> {
  const lookupFailed = (error: unknown): CheckOutcome =>
    `failed: could not look up key "${kid}" of issuer "${iss}": ${(error as Error).message}`;
  const outcome = (jwk: PublicJwk | WithdrawnIssuerKey | undefined): CheckOutcome => {
    if (!jwk) return `failed: issuer "${iss}" publishes no key "${kid}"`;
    if ('withdrawn' in jwk) {
      const since = jwk.since === undefined ? '' : ` since ${jwk.since}`;
      return `failed: key "${kid}" of issuer "${iss}" is withdrawn${since}: it verifies nothing it signed`;
    }
    if (jwk.alg !== undefined && jwk.alg !== jwt.header.alg) {
      return `failed: key "${kid}" is for ${jwk.alg}, the JWT says ${show(jwt.header.alg)}`;
    }
    return verifies(check, jwt, jwk)
      ? 'ok'
      : `failed: signature does not verify with key "${kid}" of "${iss}"`;
  };
  try {
    const found = options.resolveIssuerKey(iss, kid);
    return isPromiseLike(found) ? Promise.resolve(found).then(outcome, lookupFailed) : outcome(found);
  } catch (error) {
    return lookupFailed(error);
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function verifies(check: SignatureCheck, jws: DecodedJws, jwk: PublicJwk): boolean {
  try {
    return check(jws.signingInput, jws.signature, jwk);
  } catch {
    return false; // a key node cannot import, or of another curve: not a valid signature
  }
}

function checkValidity(payload: JsonObject, now: number, skew: number): CheckOutcome {
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      return `failed: expected ${claim} in NumericDate seconds, found ${show(value)}`;
    }
  }
  const { iat, nbf, exp } = payload as { iat?: number; nbf?: number; exp?: number };
  if (iat !== undefined && iat > now + skew) return `failed: issued in the future, at ${isoTime(iat)}`;
  if (nbf !== undefined && nbf > now + skew) return `failed: not yet valid, valid from ${isoTime(nbf)}`;
  if (exp !== undefined && now >= exp + skew) return `failed: expired at ${isoTime(exp)}`;
  return 'ok';
}

// RFC 9901 §7.1 steps 3–5: replace digests by disclosed claims, recursively, rejecting
// anything a forger or a sloppy issuer could use to smuggle a claim in. Returns the license
// fields only: the always-visible claims are read from the payload as signed, never copied.
function unpackFields(payload: JsonObject, disclosures: Disclosure[]): JsonObject {
  const byDigest: Digests = new Map();
  for (const d of disclosures) {
    if (byDigest.has(d.digest)) throw new DisclosureProblem(`disclosure ${claimLabel(d)} is presented twice`);
    byDigest.set(d.digest, d);
  }
  const out = unpackObject(payload, byDigest, true);
  for (const d of disclosures) {
    if (!d.used) {
      throw new DisclosureProblem(
        `disclosure ${claimLabel(d)} has digest ${d.digest}, which the issuer did not sign`,
      );
    }
  }
  return out;
}

function unpackObject(obj: JsonObject, byDigest: Digests, top: boolean): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    if (key === '_sd' || (top && (key === '_sd_alg' || ALWAYS_VISIBLE_CLAIMS.has(key)))) continue;
    if (key === '...') throw new DisclosureProblem('an object outside an array carries the key "..."');
    setClaim(out, key, unpackValue(obj[key], byDigest));
  }
  const sd = obj._sd;
  if (sd === undefined) return out;
  if (!Array.isArray(sd)) throw new DisclosureProblem(`expected _sd to be an array, found ${show(sd)}`);
  for (const digest of sd) {
    if (typeof digest !== 'string')
      throw new DisclosureProblem(`expected digests in _sd, found ${show(digest)}`);
    const d = meet(byDigest, digest);
    if (!d) continue; // a decoy or a claim not disclosed
    if (d.name === undefined) {
      throw new DisclosureProblem(`array-element disclosure ${digest} is referenced from an object's _sd`);
    }
    if (d.name === '_sd' || d.name === '...') {
      throw new DisclosureProblem(`disclosure uses the reserved claim name "${d.name}"`);
    }
    if (top && NEVER_DISCLOSED_CLAIMS.has(d.name)) {
      throw new DisclosureProblem(`claim "${d.name}" must be in the clear, found it in a disclosure`);
    }
    if (Object.hasOwn(out, d.name) || (top && Object.hasOwn(obj, d.name))) {
      throw new DisclosureProblem(`disclosed claim "${d.name}" already exists`);
    }

    d.used = true;
    setClaim(out, d.name, unpackValue(d.value, byDigest));
  }
  return out;
}

/**
 * Every digest met so far: its disclosure, or null for a decoy or an undisclosed claim. One map
 * both finds disclosures and catches a repeated digest, so each digest string is hashed once.
 */
type Digests = Map<string, Disclosure | null>;

// The disclosure a digest in the payload refers to, if presented; a second sighting of any
// digest fails. Callers mark the disclosure used before unpacking its value, so its digest met
// again anywhere beneath is a repeat too.
function meet(byDigest: Digests, digest: string): Disclosure | undefined {
  const d = byDigest.get(digest);
  if (d === null || d?.used) throw new DisclosureProblem(`digest ${digest} appears more than once`);
  if (d === undefined) byDigest.set(digest, null);
  return d;
}

// `__proto__` is a legal JSON member name; assigning it would replace the object's prototype.
function setClaim(out: JsonObject, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[name] = value;
  }
}

function unpackValue(value: unknown, byDigest: Digests): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (!Array.isArray(value)) return unpackObject(value as JsonObject, byDigest, false);
  const out: unknown[] = [];
  for (const element of value) {
    const digest = arrayElementDigest(element);
    if (digest === undefined) {
      out.push(unpackValue(element, byDigest));
      continue;
    }
    const d = meet(byDigest, digest);
    if (!d) continue; // an undisclosed element or a decoy: removed
    if (d.name !== undefined) {
      throw new DisclosureProblem(`object-property disclosure "${d.name}" is referenced as an array element`);
    }
    d.used = true;
    out.push(unpackValue(d.value, byDigest));
  }
  return out;
}

function arrayElementDigest(element: unknown): string | undefined {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return undefined;
  const keys = Object.keys(element);
  if (keys.length !== 1 || keys[0] !== '...') return undefined;
  const digest = (element as JsonObject)['...'];
  if (typeof digest !== 'string')
    throw new DisclosureProblem(`expected a digest under "...", found ${show(digest)}`);
  return digest;
}

function statusReference(status: unknown): StatusListReference | undefined {
  if (typeof status !== 'object' || status === null) return undefined;
  const list = (status as JsonObject).status_list;
  if (typeof list !== 'object' || list === null) return undefined;
  const { idx, uri } = list as JsonObject;
  if (!Number.isSafeInteger(idx) || (idx as number) < 0 || typeof uri !== 'string' || uri === '')
    return undefined;
  return { uri, idx: idx as number };
}

// Synchronous when the lookup is (a decoded list in memory), like the issuer key lookup.
function checkStatus(ref: StatusListReference, lookup: StatusLookup): CheckOutcome | Promise<CheckOutcome> {
  const unavailable = (error: unknown): CheckOutcome =>
    `failed: status unavailable for ${ref.uri}#${ref.idx}: ${(error as Error).message}`;
  try {
    const found = lookup(ref);
    return isPromiseLike(found)
      ? Promise.resolve(found).then(statusOutcome, unavailable)
      : statusOutcome(found);
  } catch (error) {
    return unavailable(error);
  }
}

function statusOutcome(value: number): CheckOutcome {
  switch (value) {
    case 0:
      return 'ok';
    case 1:
      return 'failed: revoked (status 1, invalid)';
    case 2:
      return 'failed: suspended (status 2)';
    default:
      return `failed: status ${show(value)}, which this verifier does not accept`;
  }
}

interface HolderKey {
  jwk: JsonObject;
  /** The same object for the same key across calls, so jws.ts caches its import. */
  publicJwk: PublicJwk;
}

const HOLDER_KEY_CACHE_LIMIT = 1024;
const holderKeys = new Map<string, PublicJwk>();

function holderKeyOf(cnf: unknown): HolderKey | undefined {
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jwk = (cnf as JsonObject).jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return undefined;
  const { kty, crv, x, y } = jwk as JsonObject;
  if (typeof kty !== 'string' || typeof crv !== 'string' || typeof x !== 'string') return undefined;
  if (y !== undefined && typeof y !== 'string') return undefined;
  const cacheKey = `${kty}.${crv}.${x}.${y ?? ''}`;
  let publicJwk = holderKeys.get(cacheKey);
  if (!publicJwk) {
    if (holderKeys.size >= HOLDER_KEY_CACHE_LIMIT) holderKeys.clear();
    publicJwk = y === undefined ? { kty, crv, x, kid: 'cnf' } : { kty, crv, x, y, kid: 'cnf' };
    holderKeys.set(cacheKey, publicJwk);
  }
  return { jwk: jwk as JsonObject, publicJwk };
}

function checkKeyBinding(
  checks: SdJwtVcChecks,
  kbJwt: DecodedJws | undefined,
  holderKey: HolderKey | undefined,
  sdHashInput: string,
  algorithms: Readonly<Record<string, SignatureCheck>>,
  options: VerifySdJwtVcOptions,
  now: number,
  skew: number,
): VerifiedSdJwtVc['keyBinding'] {
  const required = options.keyBinding;
  if (!kbJwt) {
    if (required) {
      checks.keyBinding = holderKey
        ? 'failed: the credential is bound to a holder key and the presentation has no KB-JWT'
        : 'failed: key binding required, and the credential has no cnf.jwk and the presentation no KB-JWT';
    }
    return undefined;
  }
  const { header, payload } = kbJwt;
  const alg = header.alg;
  if (header.typ !== KB_JWT_TYP) {
    checks.keyBinding = `failed: expected KB-JWT typ "${KB_JWT_TYP}", found ${show(header.typ)}`;
  } else if (typeof alg !== 'string' || !Object.hasOwn(algorithms, alg)) {
    checks.keyBinding = `failed: expected KB-JWT alg one of ${Object.keys(algorithms).join(', ')}, found ${show(alg)}`;
  } else if (header.crit !== undefined) {
    checks.keyBinding = CRIT_REFUSED;
  } else if (!holderKey) {
    checks.keyBinding = 'failed: a KB-JWT is presented but the credential has no cnf.jwk to check it against';
  } else {
    checks.keyBinding = 'ok';
  }

  // Without a usable header and holder key the signature cannot be checked; `keyBinding` has failed.
  if (checks.keyBinding === 'ok' && holderKey) {
    checks.kbSignature = verifies(algorithms[alg as string]!, kbJwt, holderKey.publicJwk)
      ? 'ok'
      : 'failed: KB-JWT signature does not verify with the credential cnf.jwk';
  }

  const aud = payload.aud;
  const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
  if (!audOk) {
    checks.kbAudience = `failed: expected aud, found ${show(aud)}`;
  } else if (required) {
    const matches = typeof aud === 'string' ? aud === required.audience : aud.includes(required.audience);
    checks.kbAudience = matches ? 'ok' : `failed: expected aud "${required.audience}", found ${show(aud)}`;
  }

  const nonce = payload.nonce;
  if (typeof nonce !== 'string' || nonce === '') {
    checks.kbNonce = `failed: expected nonce, found ${show(nonce)}`;
  } else if (required) {
    checks.kbNonce =
      nonce === required.nonce ? 'ok' : `failed: expected nonce "${required.nonce}", found "${nonce}"`;
  }

  const iat = payload.iat;
  const maxAge = required?.maxAgeSeconds ?? DEFAULT_KB_MAX_AGE_SECONDS;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    checks.kbIssuedAt = `failed: expected iat in NumericDate seconds, found ${show(iat)}`;
  } else if (iat > now + skew) {
    checks.kbIssuedAt = `failed: KB-JWT issued in the future, at ${isoTime(iat)}`;
  } else if (iat < now - maxAge - skew) {
    checks.kbIssuedAt = `failed: KB-JWT issued at ${isoTime(iat)}, older than ${maxAge} s`;
  } else {
    checks.kbIssuedAt = 'ok';
  }

  const sdHash = payload.sd_hash;
  checks.kbSdHash =
    typeof sdHash === 'string' && sdHash === sdDigest(sdHashInput)
      ? 'ok'
      : `failed: sd_hash ${show(sdHash)} does not match the presented SD-JWT`;

  if (!audOk || typeof nonce !== 'string' || typeof iat !== 'number') return undefined;
  return { audience: aud as string | string[], nonce, issuedAt: iat };
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

// A short, safe rendering of an unexpected value for a failure message.
function show(value: unknown): string {
  if (value === undefined) return 'none';
  const text = printable(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function claimLabel(d: Disclosure): string {
  return d.name === undefined ? `(array element) ${d.digest}` : `"${d.name}"`;
}

/**
 * RFC 7515 §4.1.11: a JWS whose `crit` names extensions the recipient does not understand must be
 * refused, and this verifier understands none (nor does the platform ever set one): passing it
 * would report valid a license whose issuer marked a restriction as not to be ignored.
 */
const CRIT_REFUSED =
  'failed: the header marks extensions as critical (crit), and this verifier understands none';

/**
 * Why the license identifier disagrees with what else the issuer signed, or undefined: its
 * type with `vct`, its issuer with `iss` (`…/agencies/<issuer code>`), its version with
 * `license_version`. Issuance always writes them together; a seal key used outside it (one
 * compromised before it is withdrawn) could sign a license naming another issuer's identifier or
 * another type, which an answer would hand on as verified and the audit log file under that
 * license. Compared as strings, its parts by position, not parsed: the check character guards
 * against typing errors, which a signed claim does not have, and parsing costs ≈2 µs a verify.
 */
function licenseIdAgreement(
  licenseId: string,
  licenseVersion: string,
  iss: unknown,
  vct: unknown,
): `failed: ${string}` | undefined {
  // <root 1.2.156.3005.2>.<type code>.<issuer code>.<serial>.<version>.<check>
  const parts = licenseId.split('.');
  if (parts.length !== 10 || !licenseId.startsWith(`${LICENSE_ID_ROOT}.`)) {
    return `failed: ${LICENSE_ID_CLAIM} ${show(licenseId)} is not a GB/T 36904 license identifier`;
  }
  const [typeCode, issuerCode, , version] = parts.slice(5) as [string, string, string, string];
  if (version !== licenseVersion) {
    return `failed: ${LICENSE_VERSION_CLAIM} ${show(licenseVersion)} is not the version ${version} of ${LICENSE_ID_CLAIM}`;
  }
  if (typeof vct === 'string' && vct !== `${VCT_PREFIX}${typeCode}`) {
    return `failed: vct ${show(vct)} is not the type ${typeCode} of ${LICENSE_ID_CLAIM}`;
  }
  if (typeof iss === 'string' && !iss.endsWith(`/agencies/${issuerCode}`)) {
    return `failed: iss ${show(iss)} is not the issuer ${issuerCode} of ${LICENSE_ID_CLAIM}`;
  }
  return undefined;
}
