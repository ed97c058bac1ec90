// 亮证 / 出示码: the holder shows a license to a verifier — only the fields they choose — in a
// QR-sized payload of one of two forms:
//
//   reference  a random reference (144 bits) that resolves for 5 minutes, once or up to 3 times,
//              to the compact SD-JWT presentation (issuer-signed JWT + the chosen disclosures).
//              The presentation is sealed with the field cipher while it waits, so only the
//              holder group (which may open sealed fields) can resolve it — at a route any
//              verifier may call without credentials. It carries no KB-JWT: the platform never
//              holds the device key. The reference's short life, its use count and the holder's
//              authenticated creation stand in for key binding; a verifier that needs proof of
//              possession asks for the second form.
//   sd-jwt     the compact SD-JWT presentation itself, handed to the holder's app; when the
//              license names a device key (`cnf`) the app appends a KB-JWT signed with that key
//              over the verifier's audience and nonce and the presentation's `sd_hash`, which
//              this answer gives it.
//
// Creating either form and every resolution is audited before anything is handed out.
import { type AuditEvent, auditableText } from '#core/audit/event.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import { maskIdentityNumbers } from '#core/holders/masked-text.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { effectiveStatus, isInForce, LicenseNotYetValid } from '#core/lifecycle.ts';
import {
  MAX_PRESENTATION_RESOLUTIONS,
  newPresentationRef,
  PRESENTATION_REF_TTL_SECONDS,
  presentationRefDigest,
} from '#core/presentations/presentation-ref.ts';
import { presentSdJwtVc, sdDigest } from '#core/sd-jwt-vc/index.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import {
  type PresentationStore,
  PresentationUnavailable,
  type StoredPresentation,
} from '#ports/presentation-store.ts';
import { disclosedFields, heldLicense, issuerClaims } from './holder-licenses.ts';
import { LicenseSealWithdrawn } from './issuer-errors.ts';
import { asLicenseContent, openLicenseContent } from './license-content.ts';
import { requireBinding } from './proof-identity.ts';
import { type SealStandings, type SealWithdrawn, sealWithdrawnOf } from './seal-standing.ts';

/** The logical table a waiting presentation is sealed for (the cipher binding's table). */
const PRESENTATION_SEAL_TABLE = 'holders';

export type PresentationForm = 'reference' | 'sd-jwt';

export interface CreatePresentationRequest {
  account: string;
  /** One of the holder's licenses: identifier (that version) or license key (the current one). */
  licenseId: string;
  /** The fields to disclose; each a disclosable field of the credential. */
  fields: readonly string[];
  form: PresentationForm;
  /** The verifier the holder shows it to, and its nonce, when the verifier gave them. */
  audience?: string;
  nonce?: string;
  /** Reference form: resolutions allowed, 1 to 3; 1 when absent. */
  maxResolutions?: number;
}

export interface CreatePresentationDeps {
  identity: HolderIdentityReader;
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent'>;
  cipher: FieldCipher;
  presentations: Pick<PresentationStore, 'create'>;
  /** Whether the license's seal key is withdrawn: one cached registry read (seal-standing.ts). */
  seals: SealStandings;
  audit: AuditLogWriter;
  /** The platform's public base URL: references resolve under it. */
  publicBaseUrl: string;
  now: () => Date;
  newEventId: () => string;
}

export type CreatedPresentation =
  | {
      form: 'reference';
      reference: string;
      /** What the QR code carries: GET it to resolve. */
      url: string;
      expiresAt: string;
      maxResolutions: number;
      licenseId: string;
      disclosed: string[];
      auditEventId: string;
    }
  | {
      form: 'sd-jwt';
      /** `<issuer-jwt>~<chosen disclosures>~`; append the KB-JWT when keyBinding says so. */
      presentation: string;
      /** Present when the license is bound to the holder's device key: the KB-JWT's `sd_hash`. */
      keyBinding?: { sdHash: string; audience?: string; nonce?: string };
      licenseId: string;
      disclosed: string[];
      auditEventId: string;
    };

/** A presentation request the credential cannot satisfy; a 400. */
export class PresentationRequestInvalid extends Error {
  readonly code = 'PRESENTATION_REQUEST_INVALID';
  readonly errors: readonly { path: string; message: string }[];
  constructor(errors: readonly { path: string; message: string }[]) {
    super(`invalid presentation request: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    this.name = 'PresentationRequestInvalid';
    this.errors = errors;
  }
}

/** The license is not valid today (revoked, superseded, suspended, expired): nothing to show; a 409. */
export class LicenseNotPresentable extends Error {
  readonly code = 'LICENSE_NOT_PRESENTABLE';
  constructor(licenseId: string, status: string) {
    super(`expected license ${licenseId} to be valid to be presented, found it ${status}`);
    this.name = 'LicenseNotPresentable';
  }
}

export async function createPresentation(
  request: CreatePresentationRequest,
  deps: CreatePresentationDeps,
): Promise<CreatedPresentation> {
  const binding = await requireBinding(deps.identity, request.account);
  // Both are kept in the presentation.created event (and stored with a reference): free text,
  // which may hold neither an identity number nor the holder's own code of any type.
  refuseIdentityNumbers({ audience: request.audience, nonce: request.nonce }, [binding.code]);
  const record = await heldLicense(binding, request.licenseId, deps);
  const now = deps.now();
  const content = asLicenseContent(record.content);
  const today = chinaCalendarDate(now);
  const status = effectiveStatus(record.status, content.validity, today);
  if (status !== 'valid') throw new LicenseNotPresentable(record.id, status);
  if (!isInForce(record.status, content.validity, today)) {
    throw new LicenseNotYetValid(record.id, content.validity.from, 'presented');
  }
  // Every verifier would reject it, failing its signature: the holder learns why now, and whom to ask.
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: record.issuerCode, issuerJwt: content.issuerJwt },
    deps.seals,
  );
  if (sealWithdrawn) {
    throw new LicenseSealWithdrawn(record.id, sealWithdrawn.kid, {
      holderMessage: `license ${record.id} cannot be presented: it is sealed with key ${JSON.stringify(sealWithdrawn.kid)} of its issuer ${record.issuerCode}, withdrawn${sealWithdrawn.since === undefined ? '' : ` since ${sealWithdrawn.since}`}, so every verifier would reject it; its issuer re-issues it to have it sealed with a current key`,
    });
  }

  const { sdJwt } = await openLicenseContent(
    deps.cipher,
    { dataDomain: record.dataDomain, licenseId: record.id },
    content,
  );
  const available = Object.keys(disclosedFields(sdJwt));
  const errors = request.fields.flatMap((name, i) =>
    available.includes(name)
      ? []
      : [{ path: `fields.${i}`, message: `the credential has no disclosable field ${name}` }],
  );
  if (new Set(request.fields).size !== request.fields.length) {
    errors.push({ path: 'fields', message: 'fields must be distinct' });
  }
  if (errors.length > 0) throw new PresentationRequestInvalid(errors);
  const disclosed = available.filter((name) => request.fields.includes(name));
  const presentation = await presentSdJwtVc(sdJwt, disclosed);
  const auditEventId = deps.newEventId();
  const event = (details: Record<string, string | number | boolean | string[]>): AuditEvent => ({
    id: auditEventId,
    time: now.toISOString(),
    actor: { kind: 'holder', id: request.account },
    action: 'presentation.created',
    subject: { licenseId: record.id, licenseVersion: record.licenseVersion, typeCode: record.typeCode },
    outcome: 'success',
    details: {
      form: request.form,
      disclosed,
      presentationDigest: sdDigest(presentation),
      ...(request.audience === undefined ? {} : { audience: request.audience }),
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      ...details,
    },
  });

  if (request.form === 'sd-jwt') {
    await deps.audit.record(event({}));
    const keyBound = issuerClaims(sdJwt).cnf !== undefined;
    return {
      form: 'sd-jwt',
      presentation,
      ...(keyBound
        ? {
            keyBinding: {
              sdHash: sdDigest(presentation),
              ...(request.audience === undefined ? {} : { audience: request.audience }),
              ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
            },
          }
        : {}),
      licenseId: record.id,
      disclosed,
      auditEventId,
    };
  }

  const maxResolutions = request.maxResolutions ?? 1;
  if (
    !Number.isInteger(maxResolutions) ||
    maxResolutions < 1 ||
    maxResolutions > MAX_PRESENTATION_RESOLUTIONS
  ) {
    throw new PresentationRequestInvalid([
      {
        path: 'maxResolutions',
        message: `expected 1 to ${MAX_PRESENTATION_RESOLUTIONS}, found ${maxResolutions}`,
      },
    ]);
  }
  const reference = newPresentationRef();
  const id = presentationRefDigest(reference);
  const expiresAt = new Date(now.getTime() + PRESENTATION_REF_TTL_SECONDS * 1000).toISOString();
  const sealed = await deps.cipher.encryptFields(sealBinding(id), { presentation });
  await deps.presentations.create(
    {
      id,
      account: request.account,
      licenseId: record.id,
      licenseVersion: record.licenseVersion,
      typeCode: record.typeCode,
      fields: disclosed,
      ...(request.audience === undefined ? {} : { audience: request.audience }),
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      sealed,
      created: now.toISOString(),
      expiresAt,
      maxResolutions,
    },
    event({ presentationId: id, expiresAt, maxResolutions }),
  );
  return {
    form: 'reference',
    reference,
    url: `${deps.publicBaseUrl}/presentations/${reference}`,
    expiresAt,
    maxResolutions,
    licenseId: record.id,
    disclosed,
    auditEventId,
  };
}

export interface ResolvePresentationRequest {
  reference: string;
  /** What is known of the verifier, for the holder's access history. */
  verifier: { sourceIp?: string; userAgent?: string };
}

export interface ResolvePresentationDeps {
  presentations: Pick<PresentationStore, 'get' | 'recordResolution'>;
  /** Whether the license's seal key is withdrawn: one cached registry read (seal-standing.ts). */
  seals: SealStandings;
  cipher: FieldCipher;
  now: () => Date;
  newEventId: () => string;
}

export interface ResolvedPresentation {
  /** The compact SD-JWT presentation: verify it with POST /verify or offline. */
  presentation: string;
  licenseId: string;
  typeCode: string;
  disclosed: string[];
  audience?: string;
  nonce?: string;
  expiresAt: string;
  /**
   * Present when the license's seal key was withdrawn after the holder made the presentation: it
   * fails verification until its issuer re-issues the license.
   */
  sealWithdrawn?: SealWithdrawn;
}

/**
 * The presentation behind a reference, for any verifier; PresentationUnavailable when the
 * reference is unknown, expired or used up. The resolution is counted and audited first.
 */
export async function resolvePresentation(
  request: ResolvePresentationRequest,
  deps: ResolvePresentationDeps,
): Promise<ResolvedPresentation> {
  const now = deps.now();
  const id = presentationRefDigest(request.reference);
  const resolvedEvent = (
    stored: StoredPresentation,
    sealWithdrawn: SealWithdrawn | undefined,
  ): AuditEvent => ({
    id: deps.newEventId(),
    time: now.toISOString(),
    // A verifier resolving a reference shows no credentials: what it is is what the request shows.
    actor: { kind: 'system', id: 'presentation-verifier', name: 'unauthenticated verifier' },
    action: 'presentation.resolved',
    subject: {
      licenseId: stored.licenseId,
      licenseVersion: stored.licenseVersion,
      typeCode: stored.typeCode,
    },
    basis: { legalBasis: `holder presentation ${id}` },
    outcome: 'success',
    details: {
      presentationId: id,
      holderAccount: stored.account,
      // The store counts it only if this is still the next number (recordResolution).
      resolution: stored.resolutions + 1,
      disclosed: stored.fields,
      ...(request.verifier.sourceIp === undefined ? {} : { sourceIp: request.verifier.sourceIp }),
      // A header the verifier's software sends cannot be refused: an identity number in it is masked.
      ...(request.verifier.userAgent === undefined
        ? {}
        : { userAgent: auditableText(maskIdentityNumbers(request.verifier.userAgent)) }),
      ...(sealWithdrawn ? { sealWithdrawn: sealWithdrawn.kid } : {}),
    },
  });
  let stored = await resolvable(id, now, deps);
  const { presentation } = await deps.cipher.decryptFields(sealBinding(id), stored.sealed);
  if (typeof presentation !== 'string') {
    throw new Error(`presentation ${id}: the sealed presentation is not a string`);
  }
  // A key withdrawn since the holder made it: the verifier is told why its verification will fail.
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: issuerCodeOf(stored.licenseId), issuerJwt: presentation },
    deps.seals,
  );
  for (;;) {
    try {
      await deps.presentations.recordResolution(
        id,
        now,
        stored.resolutions + 1,
        resolvedEvent(stored, sealWithdrawn),
      );
      break;
    } catch (error) {
      // Another verifier's resolution was counted since the read: this one is numbered afresh.
      // Each time this happens one more of the few resolutions allowed (at most 3) is gone, so
      // the loop ends, in resolvable's used-up at the latest.
      if (!(error instanceof ConcurrentModification)) throw error;
      stored = await resolvable(id, now, deps);
    }
  }
  return {
    presentation,
    licenseId: stored.licenseId,
    typeCode: stored.typeCode,
    disclosed: stored.fields,
    ...(stored.audience === undefined ? {} : { audience: stored.audience }),
    ...(stored.nonce === undefined ? {} : { nonce: stored.nonce }),
    expiresAt: stored.expiresAt,
    ...(sealWithdrawn ? { sealWithdrawn } : {}),
  };
}

/** The issuing agency a license identifier names (GB/T 36904); a stored presentation names a stored license. */
function issuerCodeOf(licenseId: string): string {
  const parsed = parseLicenseId(licenseId);
  if (!parsed.valid) throw new Error(`stored presentation names no license identifier: ${parsed.reason}`);
  return parsed.parts.issuerCode;
}

/** The stored presentation, while it may be resolved; PresentationUnavailable otherwise. */
async function resolvable(
  id: string,
  now: Date,
  deps: Pick<ResolvePresentationDeps, 'presentations'>,
): Promise<StoredPresentation> {
  const stored = await deps.presentations.get(id);
  if (stored === undefined) throw new PresentationUnavailable('not-found');
  if (stored.expiresAt <= now.toISOString()) throw new PresentationUnavailable('expired');
  if (stored.resolutions >= stored.maxResolutions) throw new PresentationUnavailable('used-up');
  return stored;
}

/** A waiting presentation opens only as itself: sealed for its own id. */
function sealBinding(id: string) {
  return { table: PRESENTATION_SEAL_TABLE, licenseId: `presentation:${id}` };
}
