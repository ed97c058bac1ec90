import { decodeCompactJws, type JwsSigner, type PublicJwk, signCompactJws, verifyEs256 } from './jws.ts';
import { printable } from './printable.ts';
import { isStatusBits, type StatusBits, StatusList, StatusListError } from './status-list.ts';

// The Status List Token in JWT format (draft-ietf-oauth-status-list, "Status List Token").

export const STATUS_LIST_JWT_TYP = 'statuslist+jwt';
/** Clock skew tolerated on `iat` and `exp` unless the caller says otherwise. */
export const DEFAULT_MAX_SKEW_SECONDS = 60;

export interface StatusListTokenClaims {
  sub: string;
  iat: number;
  exp: number;
  ttl: number;
  iss?: string;
  status_list: { bits: StatusBits; lst: string };
}

export interface SignStatusListTokenInput {
  /** The list's URI: becomes `sub`, and is the `uri` licenses carry in `status.status_list`. */
  uri: string;
  list: StatusList;
  issuedAt: Date;
  expiresAt: Date;
  /** Seconds a relying party may cache the token before fetching a fresh one. */
  ttlSeconds: number;
  iss?: string;
}

/** Signs a Status List Token with header `typ: statuslist+jwt`. */
export async function signStatusListToken(
  input: SignStatusListTokenInput,
  signer: JwsSigner,
): Promise<string> {
  const iat = numericDate(input.issuedAt);
  const exp = numericDate(input.expiresAt);
  if (exp <= iat) {
    throw new StatusListError('STATUS_LIST_MALFORMED', `expected exp after iat ${iat}, found ${exp}`);
  }
  if (!Number.isSafeInteger(input.ttlSeconds) || input.ttlSeconds < 1) {
    throw new StatusListError('STATUS_LIST_MALFORMED', `expected a positive ttl, found ${input.ttlSeconds}`);
  }
  const claims: StatusListTokenClaims = {
    sub: input.uri,
    iat,
    exp,
    ttl: input.ttlSeconds,
    ...(input.iss === undefined ? {} : { iss: input.iss }),
    status_list: { bits: input.list.bits, lst: input.list.toLst() },
  };
  return signCompactJws({ typ: STATUS_LIST_JWT_TYP }, { ...claims }, signer);
}

/** Each check a Status List Token can fail, by name. */
export type StatusListTokenCheck =
  | 'format'
  | 'alg'
  | 'kid'
  | 'signature'
  | 'typ'
  | 'sub'
  | 'iss'
  | 'iat'
  | 'exp'
  | 'ttl'
  | 'status_list';

export interface StatusListTokenFailure {
  check: StatusListTokenCheck;
  expected: string;
  found: string;
}

export type StatusListTokenVerification =
  | { ok: true; list: StatusList; claims: StatusListTokenClaims; kid: string | undefined }
  | { ok: false; failures: StatusListTokenFailure[] };

export interface VerifyStatusListTokenOptions {
  publicJwk: PublicJwk;
  /** The `uri` the license pointed at; the token's `sub` must equal it. */
  uri: string;
  now: Date;
  maxSkewSeconds?: number;
  /** When set, `iss` must equal it (the draft requires this when the license carries `iss`). */
  iss?: string;
  /** Bound on the decompressed list (zip-bomb guard). */
  maxListBytes?: number;
}

/**
 * Decodes and verifies a Status List Token: signature, `alg`, `kid`, `typ`, `sub`, `iss`, `iat`,
 * `exp`, `ttl` and the list itself. Every failed check is reported, not only the first.
 */
export function verifyStatusListToken(
  jwt: string,
  options: VerifyStatusListTokenOptions,
): StatusListTokenVerification {
  const failures: StatusListTokenFailure[] = [];
  const fail = (check: StatusListTokenCheck, expected: string, found: unknown): void => {
    failures.push({ check, expected, found: describe(found) });
  };

  let decoded: ReturnType<typeof decodeCompactJws>;
  try {
    decoded = decodeCompactJws(jwt);
  } catch (error) {
    fail(
      'format',
      'a compact JWS with JSON header and payload',
      error instanceof Error ? error.message : error,
    );
    return { ok: false, failures };
  }
  const { header, payload } = decoded;
  const skew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const now = numericDate(options.now);

  if (header.alg !== 'ES256') fail('alg', 'ES256', header.alg);
  if (options.publicJwk.kid !== undefined && header.kid !== options.publicJwk.kid) {
    fail('kid', options.publicJwk.kid, header.kid);
  }
  if (header.alg === 'ES256' && !verifyEs256(decoded.signingInput, decoded.signature, options.publicJwk)) {
    fail(
      'signature',
      `a valid ES256 signature by key ${options.publicJwk.kid}`,
      'a signature that does not verify',
    );
  }
  if (header.typ !== STATUS_LIST_JWT_TYP) fail('typ', STATUS_LIST_JWT_TYP, header.typ);
  if (payload.sub !== options.uri) fail('sub', options.uri, payload.sub);
  if (options.iss !== undefined && payload.iss !== options.iss) fail('iss', options.iss, payload.iss);

  const { iat, exp, ttl } = payload;
  if (!isNumericDate(iat)) fail('iat', 'a NumericDate', iat);
  else if (iat > now + skew) fail('iat', `at most ${now + skew} (now + skew)`, iat);
  if (!isNumericDate(exp)) fail('exp', 'a NumericDate', exp);
  else if (exp <= now - skew) fail('exp', `after ${now - skew} (now − skew)`, exp);
  else if (isNumericDate(iat) && exp <= iat) fail('exp', `after iat ${iat}`, exp);
  if (!(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl > 0))
    fail('ttl', 'a positive integer', ttl);

  const list = readList(payload.status_list, options.maxListBytes, fail);
  if (failures.length > 0 || list === undefined) return { ok: false, failures };
  return {
    ok: true,
    list,
    claims: payload as unknown as StatusListTokenClaims,
    kid: typeof header.kid === 'string' ? header.kid : undefined,
  };
}

function readList(
  value: unknown,
  maxBytes: number | undefined,
  fail: (check: StatusListTokenCheck, expected: string, found: unknown) => void,
): StatusList | undefined {
  if (typeof value !== 'object' || value === null) {
    fail('status_list', 'an object with bits and lst', value);
    return undefined;
  }
  const { bits, lst } = value as { bits?: unknown; lst?: unknown };
  if (!isStatusBits(bits)) {
    fail('status_list', 'bits of 1, 2, 4 or 8', bits);
    return undefined;
  }
  if (typeof lst !== 'string') {
    fail('status_list', 'lst as a string', lst);
    return undefined;
  }
  try {
    return StatusList.fromLst(lst, bits, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    fail('status_list', 'a decodable lst', error instanceof StatusListError ? error.message : error);
    return undefined;
  }
}

function numericDate(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms))
    throw new StatusListError('STATUS_LIST_MALFORMED', 'expected a valid Date, found NaN');
  return Math.floor(ms / 1000);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value;
  return printable(value);
}
