// The platform's profile of RFC 9421 for agency requests (the "application requirements" of
// RFC 9421 §1.4), as pure checks:
//
// - Label: the platform checks the one signature labelled `agency` and ignores any other
//   (an intermediary may add its own). A fixed label, rather than "the first" or "the only"
//   one, means the signer decides unambiguously which signature speaks for the agency, and a
//   reordering of dictionary members cannot change which one is checked.
// - Covered components: `@method` and `@target-uri` always; `content-digest` whenever the
//   request has a body (RFC 9530; sha-256 or sha-512, checked against the body); `content-type`,
//   `idempotency-key` and `if-match` whenever the request carries them, since the handlers act on
//   them (the media type a layout document is stored as, the key a retry is answered by, the
//   version an update holds under): an intermediary must not add or change one under a signature
//   that leaves it out. A field the request does not carry cannot be covered (RFC 9421 §2.5), so
//   its absence is the signer's to decide; a handler needing one refuses a request without it.
//   Further components may be covered and are then checked too.
// - Parameters: `created` (integer seconds, within ±skew of now), `nonce` (16–512 characters,
//   new for the key), `keyid` (an active key of the agency); `expires` honoured when present;
//   `alg`, when present, must be the key's registered algorithm.
//
// Checks run cheapest and least revealing first, and the nonce is claimed last, only for a
// request whose signature verified, so nobody without the key can burn an agency's nonces.
// Whatever no active key verifies — an unknown, revoked or unlisted key id, an `alg` other than
// the key's, a signature that does not verify — fails the one `signature` check with one detail:
// anyone can send a made-up signature, and the answer must not tell which key ids exist nor
// which algorithm a key has. Its time tells less: every path verifies the same (one verification
// of `alg`, or one of each algorithm when `alg` is omitted), against a key nobody holds where
// there is no usable key. What remains is the registry lookup: a key id outside the catalog's
// key-id syntax is not looked up at all, and one that is found costs reading and parsing its
// agency's record, which one not found does not. (Nothing logs authentication failures, so no
// finer reason is kept.)
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from '../keys/jwk-thumbprint.ts';
import {
  HTTP_SIGNATURE_ALGORITHMS,
  type HttpSignatureAlgorithm,
  isHttpSignatureAlgorithm,
  publicKeyFromJwk,
  verifySignatureBase,
} from './algorithms.ts';
import { verifyContentDigest } from './content-digest.ts';
import { fieldValue, type HttpFields, signatureBase, UnsupportedComponent } from './signature-base.ts';
import { MalformedSignatureField, parseSignature, parseSignatureInput } from './signature-fields.ts';

export const AGENCY_SIGNATURE_LABEL = 'agency';
export const DEFAULT_SKEW_SECONDS = 300;
export const MIN_NONCE_LENGTH = 16;
export const MAX_NONCE_LENGTH = 512;
export const REQUIRED_COMPONENTS = ['@method', '@target-uri'] as const;
export const REQUIRED_PARAMETERS = ['created', 'nonce', 'keyid'] as const;
/** Fields the signature must cover whenever the request carries them (module comment). */
export const COVERED_WHEN_PRESENT = ['content-type', 'idempotency-key', 'if-match'] as const;

/** The check a request failed; named in the 401 (403 for `role`) problem response. */
export type AgencyAuthCheck =
  | 'missing-signature'
  | 'malformed'
  | 'components'
  | 'digest'
  | 'created'
  | 'expired'
  | 'algorithm'
  | 'signature'
  | 'nonce'
  | 'role';

export interface AgencyAuthFailure {
  ok: false;
  check: AgencyAuthCheck;
  detail: string;
}

export interface AgencyAuthSuccess {
  ok: true;
  keyId: string;
  /** The RFC 7638 thumbprint of the key's public JWK: which key the id stood for, for the audit. */
  keyThumbprint: string;
  /** `created`, Unix seconds. */
  created: number;
  nonce: string;
  /** USCC of the agency owning the key. */
  agency: string;
  roles: string[];
  /**
   * When the nonce may be forgotten: `created` + skew + 1 s, the first instant at which the
   * request is stale anyway (see the time check).
   */
  nonceExpiresAt: Date;
}

export type AgencyAuthResult = AgencyAuthSuccess | AgencyAuthFailure;

/** A request as the platform received it. */
export interface SignedRequest {
  method: string;
  /** The canonical target URI (target-uri.ts) rebuilt from what was received. */
  targetUri: string;
  /** Header fields by lower-case name. */
  headers: HttpFields;
  /** The body bytes; empty when there is none. */
  body: Uint8Array;
}

export interface AgencyPolicyOptions {
  now: Date;
  /** Accepted distance of `created` from `now`, either way; 300 unless told. */
  skewSeconds?: number;
}

/** A signature read from a request that passed every check not needing the key. */
export interface AgencySignature {
  keyId: string;
  created: number;
  expires: number | undefined;
  nonce: string;
  alg: HttpSignatureAlgorithm | undefined;
  signatureBase: string;
  signature: Uint8Array;
  nonceExpiresAt: Date;
}

/** What the registry says about a key id; ConfigStore's ApiKeyRecord has this shape. */
export interface RegisteredRequestKey {
  agency: {
    uscc: string;
    roles: readonly string[];
    apiKeys: readonly { keyId: string; status: string }[];
  };
  key: {
    keyId: string;
    algorithm: string;
    publicJwk: { kty: string; crv: string; x: string; y?: string };
    status: string;
  };
}

// The key-id syntax of the catalog (ApiKeySchema): anything else cannot be registered, so it
// is refused as a signature no key verifies, without a lookup (and never reaches a store as a key).
const KEY_ID_SYNTAX = /^[A-Za-z0-9._:-]{1,128}$/;

/** The one answer for a request no active key verifies, whatever the reason (module comment). */
const NOT_VERIFIED: AgencyAuthFailure = {
  ok: false,
  check: 'signature',
  detail:
    'the signature does not verify with an active request-signing key named by keyid, over the signature base rebuilt from the request',
};

function fail(check: AgencyAuthCheck, detail: string): AgencyAuthFailure {
  return { ok: false, check, detail };
}

/**
 * Every check that does not need the key: the fields parse, the `agency` signature covers what
 * the profile requires, `created` and `expires` admit `now`, the body matches Content-Digest.
 */
export function readAgencySignature(
  request: SignedRequest,
  { now, skewSeconds = DEFAULT_SKEW_SECONDS }: AgencyPolicyOptions,
): { ok: true; signature: AgencySignature } | AgencyAuthFailure {
  const inputField = fieldValue(request.headers, 'signature-input');
  const signatureField = fieldValue(request.headers, 'signature');
  if (inputField === undefined && signatureField === undefined) {
    return fail(
      'missing-signature',
      `expected Signature-Input and Signature fields with a signature labelled ${AGENCY_SIGNATURE_LABEL}, found neither`,
    );
  }
  if (inputField === undefined || signatureField === undefined) {
    return fail(
      'malformed',
      `expected both Signature-Input and Signature, found only ${inputField === undefined ? 'Signature' : 'Signature-Input'}`,
    );
  }

  let inputs: ReturnType<typeof parseSignatureInput>;
  let signatures: ReturnType<typeof parseSignature>;
  try {
    inputs = parseSignatureInput(inputField);
    signatures = parseSignature(signatureField);
  } catch (error) {
    if (error instanceof MalformedSignatureField) return fail('malformed', error.message);
    throw error;
  }
  const input = inputs.get(AGENCY_SIGNATURE_LABEL);
  if (input === undefined) {
    const labels = [...inputs.keys()].join(', ') || 'none';
    return fail(
      'missing-signature',
      `expected a signature labelled ${AGENCY_SIGNATURE_LABEL}, found labels: ${labels}`,
    );
  }
  const signature = signatures.get(AGENCY_SIGNATURE_LABEL);
  if (signature === undefined) {
    return fail(
      'malformed',
      `Signature-Input has the label ${AGENCY_SIGNATURE_LABEL} but Signature does not`,
    );
  }

  // Parameter syntax.
  const params = input.parameters;
  const created = params.get('created');
  const expires = params.get('expires');
  const nonce = params.get('nonce');
  const keyId = params.get('keyid');
  const alg = params.get('alg');
  if (created !== undefined && !Number.isSafeInteger(created)) {
    return fail('malformed', `created must be an integer of Unix seconds, found ${String(created)}`);
  }
  if (expires !== undefined && !Number.isSafeInteger(expires)) {
    return fail('malformed', `expires must be an integer of Unix seconds, found ${String(expires)}`);
  }
  for (const [name, value] of [
    ['nonce', nonce],
    ['keyid', keyId],
    ['alg', alg],
    ['tag', params.get('tag')],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      return fail('malformed', `${name} must be a string, found ${typeof value}`);
    }
  }

  // Coverage.
  const covered = new Set(input.components);
  const required: string[] = [...REQUIRED_COMPONENTS];
  if (request.body.length > 0) required.push('content-digest');
  for (const field of COVERED_WHEN_PRESENT) {
    if (fieldValue(request.headers, field) !== undefined) required.push(field);
  }
  const missingComponents = required.filter((c) => !covered.has(c));
  const missingParameters = REQUIRED_PARAMETERS.filter((p) => !params.has(p));
  if (missingComponents.length > 0 || missingParameters.length > 0) {
    const missing = [
      ...missingComponents.map((c) => `component ${c}`),
      ...missingParameters.map((p) => `parameter ${p}`),
    ];
    return fail(
      'components',
      `the signature must cover ${required.join(', ')} and carry ${REQUIRED_PARAMETERS.join(', ')}; missing ${missing.join(', ')}`,
    );
  }
  if (input.componentsWithParameters.length > 0) {
    return fail(
      'components',
      `component parameters are not supported, found them on ${input.componentsWithParameters.join(', ')}`,
    );
  }
  let base: string;
  try {
    base = signatureBase(
      { method: request.method, targetUri: request.targetUri, headers: request.headers },
      input.components,
      input.signatureParams,
    );
  } catch (error) {
    if (error instanceof UnsupportedComponent) return fail('components', error.message);
    throw error;
  }

  // The three parameters are present and of the right type from here on.
  const createdAt = created as number;
  const nonceText = nonce as string;
  const keyIdText = keyId as string;
  if (nonceText.length < MIN_NONCE_LENGTH || nonceText.length > MAX_NONCE_LENGTH) {
    return fail(
      'malformed',
      `nonce must be ${MIN_NONCE_LENGTH}–${MAX_NONCE_LENGTH} characters, found ${nonceText.length}`,
    );
  }
  if (expires !== undefined && (expires as number) < createdAt) {
    return fail('malformed', `expires ${String(expires)} is before created ${createdAt}`);
  }

  // Time.
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const offset = createdAt - nowSeconds;
  if (Math.abs(offset) > skewSeconds) {
    return fail(
      'created',
      `created ${createdAt} is ${Math.abs(offset)} s ${offset > 0 ? 'ahead of' : 'behind'} the platform clock (${nowSeconds}); at most ${skewSeconds} s is accepted`,
    );
  }
  if (expires !== undefined && nowSeconds > (expires as number)) {
    return fail(
      'expired',
      `the signature expired at ${String(expires)}; the platform clock is at ${nowSeconds}`,
    );
  }

  // Content.
  if (covered.has('content-digest')) {
    const check = verifyContentDigest(fieldValue(request.headers, 'content-digest')!, request.body);
    if (!check.ok) return fail('digest', check.detail);
  }

  if (alg !== undefined && !isHttpSignatureAlgorithm(alg)) {
    return fail('algorithm', `alg must be ecdsa-p256-sha256 or ed25519, found ${String(alg)}`);
  }

  return {
    ok: true,
    signature: {
      keyId: keyIdText,
      created: createdAt,
      expires: expires as number | undefined,
      nonce: nonceText,
      alg: alg as HttpSignatureAlgorithm | undefined,
      signatureBase: base,
      signature,
      // The time check compares whole seconds, so `created` is still accepted throughout the
      // second created + skew (until created + skew + 1, exclusive): the claim must live that long,
      // or a replay in that last second finds it expired and is accepted again.
      nonceExpiresAt: new Date((createdAt + skewSeconds + 1) * 1000),
    },
  };
}

/** The registered key, when it is active, listed by its agency and of the signature's `alg`. */
function usableKey(
  signature: AgencySignature,
  registered: RegisteredRequestKey | undefined,
):
  | { registered: RegisteredRequestKey; key: RegisteredRequestKey['key']; algorithm: HttpSignatureAlgorithm }
  | undefined {
  const key = registered?.key;
  const listed = registered?.agency.apiKeys.find((k) => k.keyId === signature.keyId);
  if (
    registered === undefined ||
    key === undefined ||
    key.keyId !== signature.keyId ||
    key.status !== 'active' ||
    listed?.status !== 'active' ||
    !isHttpSignatureAlgorithm(key.algorithm) ||
    (signature.alg !== undefined && signature.alg !== key.algorithm)
  ) {
    return undefined;
  }
  return { registered, key, algorithm: key.algorithm };
}

const unheldKeys = new Map<HttpSignatureAlgorithm, KeyObject>();

/** A public key of the algorithm whose private half was thrown away: it verifies nothing. */
function unheldKey(algorithm: HttpSignatureAlgorithm): KeyObject {
  let key = unheldKeys.get(algorithm);
  if (key === undefined) {
    key =
      algorithm === 'ed25519'
        ? generateKeyPairSync('ed25519').publicKey
        : generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    unheldKeys.set(algorithm, key);
  }
  return key;
}

/**
 * The registered key imported; undefined when node cannot import its JWK — the registry's fault,
 * but to the caller no usable key, answered as any other unverified signature.
 */
function importedKey(key: RegisteredRequestKey['key']): KeyObject | undefined {
  try {
    return publicKeyFromJwk(key.publicJwk as JsonWebKey);
  } catch {
    return undefined;
  }
}

function verifies(
  signature: AgencySignature,
  publicKey: KeyObject,
  algorithm: HttpSignatureAlgorithm,
): boolean {
  try {
    return verifySignatureBase(signature.signatureBase, signature.signature, publicKey, algorithm);
  } catch {
    return false;
  }
}

/** Whether a key id could be registered at all (the catalog's key-id syntax). */
export function isPlausibleKeyId(keyId: string): boolean {
  return KEY_ID_SYNTAX.test(keyId);
}

/**
 * The checks needing the key: it is registered, active and listed by its agency; `alg` matches
 * it; the signature verifies; the agency has one of `requiredRoles` (none required when empty).
 */
export function checkAgencySignature(
  signature: AgencySignature,
  registered: RegisteredRequestKey | undefined,
  requiredRoles: readonly string[] = [],
): AgencyAuthResult {
  const usable = usableKey(signature, registered);
  // Every path does the same verification work, so that how long the answer takes tells neither
  // a made-up key id from a registered one nor which algorithm a registered key has: with `alg`
  // one verification of it, with the key's (a key of another is no usable key) or, without a
  // usable key, one nobody holds; without `alg` (RFC 9421 §2.3 makes it optional, and the key's
  // registered algorithm applies) one of each algorithm, the key's with the key and the other
  // with a key nobody holds.
  let verified = false;
  for (const algorithm of signature.alg === undefined ? HTTP_SIGNATURE_ALGORITHMS : [signature.alg]) {
    const held = usable?.algorithm === algorithm ? importedKey(usable.key) : undefined;
    const checked = verifies(signature, held ?? unheldKey(algorithm), algorithm);
    if (held !== undefined) verified = checked;
  }
  if (usable === undefined || !verified) return NOT_VERIFIED;
  const { key, registered: found } = usable;
  if (requiredRoles.length > 0 && !requiredRoles.some((role) => found.agency.roles.includes(role))) {
    return fail(
      'role',
      `this route needs an agency with the role ${requiredRoles.join(' or ')}; the agency has ${found.agency.roles.join(', ') || 'none'}`,
    );
  }
  return {
    ok: true,
    keyId: signature.keyId,
    keyThumbprint: jwkThumbprint(key.publicJwk),
    created: signature.created,
    nonce: signature.nonce,
    agency: found.agency.uscc,
    roles: [...found.agency.roles],
    nonceExpiresAt: signature.nonceExpiresAt,
  };
}

/** The I/O authentication needs, as functions (ConfigStore.findApiKey and NonceStore.claim). */
export interface AgencyAuthLookups {
  findKey(keyId: string): Promise<RegisteredRequestKey | undefined>;
  claimNonce(keyId: string, nonce: string, expiresAt: Date): Promise<boolean>;
}

export interface AuthenticateOptions extends AgencyPolicyOptions {
  /** The agency needs one of these roles; none required when empty or absent. */
  requiredRoles?: readonly string[];
}

/**
 * The whole profile in order: read the signature, look the key up, check it, then claim the
 * nonce — only for a request that would otherwise be accepted. Errors of the lookups propagate.
 */
export async function authenticateAgencyRequest(
  request: SignedRequest,
  options: AuthenticateOptions,
  lookups: AgencyAuthLookups,
): Promise<AgencyAuthResult> {
  const read = readAgencySignature(request, options);
  if (!read.ok) return read;
  const { signature } = read;
  const registered = isPlausibleKeyId(signature.keyId) ? await lookups.findKey(signature.keyId) : undefined;
  const result = checkAgencySignature(signature, registered, options.requiredRoles);
  if (!result.ok) return result;
  const fresh = await lookups.claimNonce(result.keyId, result.nonce, result.nonceExpiresAt);
  if (!fresh) {
    return fail('nonce', 'this nonce was already used with this key: the request is a replay');
  }
  return result;
}
