import { type AuditEvent, AuditEventInvalid, auditableText } from '#core/audit/event.ts';
import { type SealKeyRef, sealKeyWithKid } from '#core/catalog/agency.ts';
import { maskIdentityNumbers } from '#core/holders/masked-text.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { decodeCompactJws, type PublicJwk } from '#core/jws.ts';
import {
  agencyOfIssuer,
  LICENSE_ID_CLAIM,
  type SdJwtVcVerification,
  statusListIdOfUri,
  verifySdJwtVc,
  type WithdrawnIssuerKey,
} from '#core/sd-jwt-vc/index.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import { type SigningKeys, usableKey } from '#ports/signer.ts';
import type { StatusReader } from '#ports/status-reader.ts';
import { VerificationUnavailable } from './verification-errors.ts';

/** Where verification finds an issuer's seal keys. */
export interface IssuerSealKeys {
  /** The agency's seal key of this kid, withdrawn or not; undefined when it holds none (or no such agency). */
  sealKeyOf(issuerUscc: string, kid: string): Promise<SealKeyRef | undefined>;
}

/** IssuerSealKeys read from the registry on every lookup; the public function reads through CachedSealStandings. */
export function registrySealKeys(config: Pick<ConfigStore, 'getAgency'>): IssuerSealKeys {
  return {
    async sealKeyOf(uscc, kid) {
      const agency = (await config.getAgency(uscc))?.value;
      return agency && sealKeyWithKid(agency, kid);
    },
  };
}

export interface VerifyLicenseDeps {
  sealKeys: IssuerSealKeys;
  keys: Pick<SigningKeys, 'keyFor'>;
  statuses: StatusReader;
  /** The platform's public base URL: issuers and status lists of this platform live under it. */
  publicBaseUrl: string;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

export interface VerifyLicenseRequest {
  /** An issued license or a presentation: `<issuer-jwt>~<disclosures>~[<kb-jwt>]`. */
  presentation: string;
  /** When given, a key-bound presentation for this audience and nonce is required. */
  keyBinding?: { audience: string; nonce: string };
  /** What the request shows of the verifier, who presents no credentials: for the audit event. */
  verifier?: { sourceIp?: string; userAgent?: string };
}

/**
 * Online verification of a license issued on this platform: issuer keys from the registry
 * (the agency named by `iss`, its current or a previous seal key by `kid`, through `sealKeys`), status from the
 * stored list entry. Every verification is an audit event (`license.verified`), written before
 * the answer; VerificationUnavailable when a store, the key service or the audit log fails.
 */
export async function verifyLicense(
  request: VerifyLicenseRequest,
  deps: VerifyLicenseDeps,
): Promise<SdJwtVcVerification> {
  // A port that throws is the platform failing, never the credential. The verifier would report
  // it as a failed check — a verdict of "invalid" that is not one, carrying the error's words —
  // so the first failure is kept and thrown in place of the answer.
  let unavailable: VerificationUnavailable | undefined;
  const read = async <T>(what: string, reading: () => Promise<T>): Promise<T> => {
    try {
      return await reading();
    } catch (error) {
      unavailable ??= new VerificationUnavailable(`${what} could not be read`, error);
      throw unavailable;
    }
  };
  const now = deps.now();
  const result = await verifySdJwtVc(request.presentation, {
    now: Math.floor(now.getTime() / 1000),
    ...(request.keyBinding ? { keyBinding: request.keyBinding } : {}),
    resolveIssuerKey: (iss, kid) => issuerKey(iss, kid, deps, read),
    status: async (ref) => {
      const listId = statusListIdOfUri(deps.publicBaseUrl, ref.uri);
      if (listId === undefined) throw new Error(`${ref.uri} is not a status list of this platform`);
      const value = await read("the license's status", () => deps.statuses.statusOf(listId, ref.idx));
      if (value === undefined) throw new Error('no license holds this status entry');
      return value;
    },
  });
  if (unavailable) throw unavailable;
  try {
    await deps.audit.record(verificationEvent(request, result, now, deps.newEventId()));
  } catch (error) {
    if (error instanceof AuditEventInvalid) throw error; // an event we built wrong: a bug, not an outage
    throw new VerificationUnavailable('the verification could not be recorded in the audit log', error);
  }
  return result;
}

// Whoever calls POST /verify shows no credentials, like a verifier resolving a presentation
// reference (`presentation.resolved`), and is recorded the same way: the schema has no
// anonymous actor kind, and agency, holder or operator would each claim an identity nobody
// proved; `system` with a stable id says "the platform's public verifier, on someone's behalf".
const PUBLIC_VERIFIER = { kind: 'system', id: 'public-verifier', name: 'unauthenticated verifier' } as const;

/**
 * The `license.verified` event: the outcome, the checks that failed (their names: the messages
 * quote what the caller sent), the names of the fields the answer showed (never their values),
 * and whether a KB-JWT proved the holder's key.
 */
function verificationEvent(
  request: VerifyLicenseRequest,
  result: SdJwtVcVerification,
  now: Date,
  id: string,
): AuditEvent {
  const subject = licenseOf(request.presentation, result);
  const { sourceIp, userAgent } = request.verifier ?? {};
  return {
    id,
    time: now.toISOString(),
    actor: PUBLIC_VERIFIER,
    action: 'license.verified',
    ...(subject ? { subject } : {}),
    outcome: result.valid ? 'success' : 'denied',
    details: {
      ...(result.valid
        ? {}
        : {
            failed: Object.entries(result.checks)
              .filter(([, outcome]) => outcome.startsWith('failed'))
              .map(([check]) => check),
          }),
      disclosed: result.claims ? Object.keys(result.claims.fields) : [],
      keyBound: result.checks.kbSignature === 'ok',
      ...(sourceIp === undefined ? {} : { sourceIp }),
      // Cut to 256 code units, and any surrogate half (cut, or sent) replaced: the event's
      // canonical JSON (RFC 8785) refuses a lone one, which would turn a header into a 500. A
      // header cannot be refused, so an identity number in it is masked (first, so none is cut
      // in half and kept).
      ...(userAgent === undefined ? {} : { userAgent: auditableText(maskIdentityNumbers(userAgent)) }),
    },
  };
}

/**
 * The license a verification is about, only when its issuer's signature verified: anyone can
 * write any license identifier into a forged credential, and the event would then stand in the
 * access history of a holder whose license it never was. A genuine credential that fails
 * (revoked, expired, a bad KB-JWT) is named: someone did present that license.
 */
function licenseOf(presentation: string, result: SdJwtVcVerification): AuditEvent['subject'] | undefined {
  // Nor when the identifier disagrees with the signer or type (`profile`): a key used outside
  // issuance could name another issuer's license.
  if (result.checks.signature !== 'ok' || result.checks.profile !== 'ok') return undefined;
  const licenseId =
    result.claims?.licenseId ?? decodeCompactJws(presentation.split('~', 1)[0]!).payload[LICENSE_ID_CLAIM];
  if (typeof licenseId !== 'string') return undefined;
  const parsed = parseLicenseId(licenseId);
  if (!parsed.valid) return undefined;
  return { licenseId, licenseVersion: parsed.parts.version, typeCode: parsed.parts.typeCode };
}

async function issuerKey(
  iss: string,
  kid: string,
  deps: VerifyLicenseDeps,
  read: <T>(what: string, reading: () => Promise<T>) => Promise<T>,
): Promise<PublicJwk | WithdrawnIssuerKey | undefined> {
  const uscc = agencyOfIssuer(deps.publicBaseUrl, iss);
  if (uscc === undefined) return undefined;
  // A rotated-out seal key still verifies the licenses it signed before the rotation, unless the
  // operator withdrew it: the record decides (as sealKeys read it), whatever the key service's
  // client cached of the key.
  const seal = await read('the issuer key', () => deps.sealKeys.sealKeyOf(uscc, kid));
  if (!seal) return undefined;
  if (seal.withdrawn !== undefined) return { withdrawn: true, since: seal.withdrawn.at };
  // A key the key service withdrew is no outage: the license names a key that verifies nothing any more.
  const key = await read('the issuer key', () => usableKey(deps.keys, seal.keyRef));
  return key === undefined ? { withdrawn: true } : key.publicJwk;
}
