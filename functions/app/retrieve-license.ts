// 调阅: a relying agency obtains a license on a basis — the holder's grant (用证授权) or a
// duty-based sharing agreement (依职能用证) — and receives only the fields that basis allows,
// as a selectively disclosed SD-JWT VC it can verify itself, with the platform's annotated copy
// (加注件) and, when the basis allows every field anyway, a short-lived link to the layout
// document. The story, in order:
//
//   1. what is asked for: a license (identifier or key), or a holder's license of a type (under a
//      grant, its own holder's: the agency names no holder);
//   2. the basis allows it — checked before anything is looked up, so an agency without a
//      basis learns nothing, not even whether the license or holder exists; a grant refused
//      here (no such code, revoked, expired, used up, another agency's, not covering what is
//      asked) is recorded as a denied retrieval before it is answered;
//   3. the license: found, covered by the basis, and in force (not revoked, superseded,
//      suspended or expired, and its first valid day reached) today;
//   4. the presentation, the annotated copy and the document link are prepared, and the license
//      flagged `sealWithdrawn` when the key that sealed it is withdrawn (it then fails verification
//      until re-issued: the basis allows the retrieval, so it is made and recorded, and the relying
//      agency learns why its verification fails and that the issuer re-issues — in the answer and
//      in the annotated copy's `seal_withdrawn`, which it may check offline later);
//   5. the audit event is committed — with the grant's use counter in one transaction, or on
//      its own for a duty basis, either way on condition that the license is still the version
//      read — and only then does anything leave. A refused or failed write fails the request
//      and nothing is returned.
import { type AnnotatedCopyStatement, type RetrievalBasis, signAnnotatedCopy } from '#core/annotated-copy.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { disclosableFieldNames } from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import { isAgreementInForce } from '#core/catalog/sharing-agreement.ts';
import { type Grant, grantUnusableReason } from '#core/grants/grant.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { fromBase64url } from '#core/jws.ts';
import { effectiveStatus, isInForce, LicenseNotYetValid } from '#core/lifecycle.ts';
import { presentSdJwtVc, sdDigest } from '#core/sd-jwt-vc/index.ts';
import { ConcurrentModification, GrantUseRefused, LicenseNotFound } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { DocumentStore } from '#ports/document-store.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { GrantStore } from '#ports/grant-store.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import type { SigningKeys } from '#ports/signer.ts';
import type { HolderIdentity } from './create-grant.ts';
import { asLicenseContent, type LicenseContent, openLicenseContent } from './license-content.ts';
import { findLicense, type LicenseReference, parseLicenseReference } from './license-reference.ts';
import {
  HolderLicenseNotFound,
  LicenseNotRetrievable,
  LicenseTypeNotFound,
  RetrievalRefused,
  RetrievalRequestInvalid,
} from './retrieval-errors.ts';
import { type SealStandings, type SealWithdrawn, sealWithdrawnOf } from './seal-standing.ts';

/** Longest an annotated copy may be used, unless configured otherwise: 24 hours. */
export const DEFAULT_MAX_ANNOTATION_SECONDS = 24 * 60 * 60;
/** Lifetime of a layout-document link: 5 minutes, the document store's own maximum. */
export const DEFAULT_DOCUMENT_URL_SECONDS = 300;
/** Longest case number and operator id a duty-based request may state. */
export const MAX_DUTY_REFERENCE_LENGTH = 64;

/**
 * What is asked for: a license by id or key; on a duty basis a holder's license of a type; under a
 * grant the license of a type of the grant's own holder — a grant names its holder, and the agency
 * names none (see `refuseHolderUnderGrant`).
 */
export type RetrievalTarget =
  | { licenseId: string }
  | { holder: HolderIdentity; typeCode: string }
  | { typeCode: string };

export type RetrievalBasisRequest =
  | { grant: { code: string } }
  | { duty: { serviceItemCode: string; caseNumber: string; operatorId: string } };

export interface RetrieveLicenseRequest {
  /** The authenticated relying agency (USCC) and the key it signed the request with. */
  requester: { agency: string; keyId: string };
  target: RetrievalTarget;
  basis: RetrievalBasisRequest;
  /**
   * The purpose of use. With a grant it must be the grant's purpose; on a duty basis one of the
   * purposes of the agreements in force, which picks the agreement. When absent: the grant's
   * purpose, or the only purpose the agreements in force allow.
   */
  purpose?: string;
}

export interface RetrieveLicenseDeps {
  licenses: Pick<
    LicenseRepository,
    'get' | 'getCurrent' | 'listByHolder' | 'recordGrantUse' | 'recordRetrieval'
  >;
  grants: Pick<GrantStore, 'findByCode'>;
  config: Pick<ConfigStore, 'listSharingAgreementsOfAgency' | 'getLicenseType'>;
  audit: AuditLogWriter;
  cipher: FieldCipher;
  blindIndexer: BlindIndexer;
  keys: Pick<SigningKeys, 'platformKey'>;
  /** Whether the license's seal key is withdrawn: one cached registry read (seal-standing.ts). */
  seals: SealStandings;
  /** Absent: no document links are handed out. */
  documents?: Pick<DocumentStore, 'presignDownload'>;
  /** The platform's public base URL: the annotated copy's `iss`. */
  publicBaseUrl: string;
  now: () => Date;
  newEventId: () => string;
  maxAnnotationSeconds?: number;
  documentUrlSeconds?: number;
}

export interface Retrieval {
  licenseId: string;
  licenseVersion: string;
  typeCode: string;
  /** The SD-JWT VC with only the allowed disclosures: `<issuer-jwt>~<disclosure>~…~`. */
  presentation: string;
  /** Names of the disclosed fields, in the credential's order. */
  disclosed: string[];
  /** The annotated copy (加注件), a JWT signed with the platform key. */
  annotation: string;
  /** Until when the copy may be used (the annotation's `exp`), RFC 3339. */
  usableUntil: string;
  /** A link to the layout document, when the license has one and the basis allows every field. */
  document?: { url: string; expiresAt: string; sha256: string; mediaType: string };
  /**
   * Present when the key that sealed the license is withdrawn: the presentation fails verification
   * until its issuer re-issues the license. Handed out still — the retrieval is recorded, and the
   * relying agency learns why its verification fails and whom to ask.
   */
  sealWithdrawn?: SealWithdrawn;
  /** The audit event committed for this retrieval (the annotation's `jti`). */
  auditEventId: string;
}

/** What the basis allows, once checked. */
interface Allowance {
  basis: RetrievalBasis;
  fields: readonly string[];
  purpose: string;
  /** Instant (ms) the basis itself ends: the grant's expiry, the agreement's last day. */
  endsAt: number;
  grant?: Grant;
  agreement?: SharingAgreement;
}

/** How often a retrieval is made again when its license changed between the read and the write. */
const RETRIEVAL_ATTEMPTS = 3;

/** The license changed (a status change, say) after it was read: the retrieval is made afresh. */
class LicenseChangedMeanwhile extends Error {
  readonly change: ConcurrentModification;
  constructor(change: ConcurrentModification) {
    super(change.message);
    this.change = change;
  }
}

/**
 * Retrieves a license on a grant or duty basis; see the module comment for the order of checks.
 * The final write holds only if the license version is still the one read, so a license revoked
 * while its retrieval was being prepared is never handed out: the retrieval is made again, and
 * now refused.
 */
export async function retrieveLicense(
  request: RetrieveLicenseRequest,
  deps: RetrieveLicenseDeps,
): Promise<Retrieval> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await retrieveOnce(request, deps);
    } catch (error) {
      if (!(error instanceof LicenseChangedMeanwhile)) throw error;
      if (attempt >= RETRIEVAL_ATTEMPTS) throw error.change;
    }
  }
}

async function retrieveOnce(request: RetrieveLicenseRequest, deps: RetrieveLicenseDeps): Promise<Retrieval> {
  const now = deps.now();
  const today = chinaCalendarDate(now);
  const target = readTarget(request);
  const holderIndex =
    'holder' in request.target
      ? await deps.blindIndexer.tokenFor(request.target.holder.codeType, request.target.holder.code)
      : undefined;

  const allowance =
    'grant' in request.basis
      ? await allowedByGrant(request, request.basis.grant.code, target, now, deps)
      : await allowedByAgreementAudited(request, request.basis.duty, target, today, now, deps);

  const { license, content } = await retrievableLicense(request, target, holderIndex, allowance, now, deps);
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: license.issuerCode, issuerJwt: content.issuerJwt },
    deps.seals,
  );

  const { sdJwt } = await openLicenseContent(
    deps.cipher,
    { dataDomain: license.dataDomain, licenseId: license.id },
    content,
  );
  const inCredential = disclosureNames(sdJwt);
  const allowed = new Set(allowance.fields);
  const disclosed = inCredential.filter((name) => allowed.has(name));
  if (disclosed.length === 0) {
    // The basis allows no field this license has (the operator has since made the granted ones
    // undisclosable, or the license lacks the optional ones allowed): refused rather than made —
    // a use of the grant, and an event saying a copy left, for an issuer JWT and nothing else.
    const refusal = new RetrievalRefused(
      'NOTHING_DISCLOSABLE',
      `the ${allowance.basis.kind === 'grant' ? 'grant' : 'agreement'} allows no field license ${license.id} has that its type still lets be disclosed`,
    );
    await deps.audit.record(
      deniedRetrievalEvent(request, allowance, target, license, refusal.code, now, deps),
    );
    throw refusal;
  }
  const presentation = await presentSdJwtVc(sdJwt, disclosed);
  // The layout document prints every field: it goes only with a basis that discloses them all.
  const wholeLicense = inCredential.every((name) => allowed.has(name));
  const documentUrlSeconds = deps.documentUrlSeconds ?? DEFAULT_DOCUMENT_URL_SECONDS;
  const document =
    wholeLicense && content.document !== undefined && deps.documents !== undefined
      ? {
          ...content.document,
          link: await deps.documents.presignDownload(content.document, documentUrlSeconds),
        }
      : undefined;

  const eventId = deps.newEventId();
  const issuedAt = Math.floor(now.getTime() / 1000);
  const usableUntil = Math.max(
    issuedAt + 1,
    Math.floor(
      Math.min(
        now.getTime() + (deps.maxAnnotationSeconds ?? DEFAULT_MAX_ANNOTATION_SECONDS) * 1000,
        allowance.endsAt,
        endOfChinaDay(content.validity.until),
      ) / 1000,
    ),
  );
  const statement: AnnotatedCopyStatement = {
    platform: deps.publicBaseUrl,
    requester: request.requester.agency,
    basis: allowance.basis,
    purpose: allowance.purpose,
    licenseId: license.id,
    licenseVersion: license.licenseVersion,
    typeCode: license.typeCode,
    disclosed,
    presentation,
    ...(document ? { document: { sha256: document.sha256, mediaType: document.mediaType } } : {}),
    issuedAt,
    expiresAt: usableUntil,
    eventId,
    ...(sealWithdrawn
      ? {
          sealWithdrawn: {
            kid: sealWithdrawn.kid,
            ...(sealWithdrawn.since === undefined ? {} : { since: sealWithdrawn.since }),
          },
        }
      : {}),
  };
  const annotation = await signAnnotatedCopy(statement, (await deps.keys.platformKey()).signer);

  const event = retrievalEvent(
    request,
    statement,
    now,
    target.reference === undefined ? 'holder' : 'license',
    sealWithdrawn,
  );
  const retrieved = { licenseId: license.id, version: license.version };
  try {
    if (allowance.grant !== undefined) {
      await deps.licenses.recordGrantUse(allowance.grant.id, now.toISOString(), event, retrieved);
    } else {
      await deps.licenses.recordRetrieval(event, retrieved);
    }
  } catch (error) {
    // Another retrieval used the last use, or the holder revoked the grant, since we read it. The
    // use's event went with the refused transaction: the refusal is recorded on its own, as one
    // found when the grant was read would have been.
    if (error instanceof GrantUseRefused) {
      const refused = refusalOfGrantUse(error);
      await deps.audit.record(basisRefusalEvent(request, error.grantId, target, refused.code, now, deps));
      throw refused;
    }
    if (error instanceof ConcurrentModification) throw new LicenseChangedMeanwhile(error);
    throw error;
  }

  return {
    licenseId: license.id,
    licenseVersion: license.licenseVersion,
    typeCode: license.typeCode,
    presentation,
    disclosed,
    annotation,
    usableUntil: new Date(usableUntil * 1000).toISOString(),
    ...(document
      ? {
          document: {
            url: document.link.url,
            expiresAt: document.link.expiresAt.toISOString(),
            sha256: document.sha256,
            mediaType: document.mediaType,
          },
        }
      : {}),
    ...(sealWithdrawn ? { sealWithdrawn } : {}),
    auditEventId: eventId,
  };
}

interface Target {
  typeCode: string;
  /** Undefined when the license is looked up by holder. */
  reference: LicenseReference | undefined;
}

function readTarget(request: RetrieveLicenseRequest): Target {
  const { target } = request;
  if ('licenseId' in target) {
    const reference = parseLicenseReference(target.licenseId);
    return { typeCode: reference.typeCode, reference };
  }
  if ('grant' in request.basis) refuseHolderUnderGrant(target);
  else if (!('holder' in target)) {
    throw new RetrievalRequestInvalid(
      'a duty-based retrieval by type names the holder too (holder and typeCode), or the license by licenseId',
    );
  }
  return { typeCode: target.typeCode, reference: undefined };
}

/**
 * Under a grant the agency names no holder: the grant names its own. Were a holder named and
 * compared with the grant's, a wrong one would be refused without using the grant, and an agency
 * given a grant of a name and a birth date could try the few hundred identity numbers that fit
 * until one was not refused — learning a number the holder chose not to disclose. Refused for its
 * shape alone, before the grant is read, so that nothing is compared.
 */
function refuseHolderUnderGrant(target: RetrievalTarget): void {
  if ('holder' in target) {
    throw new RetrievalRequestInvalid(
      'a retrieval under a grant names no holder — the grant names its own: name the license by licenseId, or by typeCode alone',
    );
  }
}

/**
 * Step 2 on a grant. A refusal here is recorded before it is answered, as a refusal after the
 * license was looked up is: an agency trying codes, or using a grant revoked, expired or not its
 * own, leaves a record, and the grant's holder finds every refused use of it in their history.
 */
async function allowedByGrant(
  request: RetrieveLicenseRequest,
  code: string,
  target: Target,
  now: Date,
  deps: RetrieveLicenseDeps,
): Promise<Allowance> {
  const grant = (await deps.grants.findByCode(code))?.value;
  let purpose: string;
  try {
    purpose = grantedPurpose(request, grant, target, now);
  } catch (error) {
    if (error instanceof RetrievalRefused) {
      await deps.audit.record(basisRefusalEvent(request, grant?.id, target, error.code, now, deps));
    }
    throw error;
  }
  return {
    basis: { kind: 'grant', grantId: grant!.id },
    fields: await stillDisclosable(grant!.fields, target.typeCode, deps),
    purpose,
    endsAt: Date.parse(grant!.expiresAt),
    grant: grant!,
  };
}

/** The purpose the grant allows the request, once it allows it at all; RetrievalRefused otherwise. */
function grantedPurpose(
  request: RetrieveLicenseRequest,
  grant: Grant | undefined,
  target: Target,
  now: Date,
): string {
  if (grant === undefined)
    throw new RetrievalRefused('GRANT_NOT_FOUND', 'no grant has this authorisation code');
  if (grant.relyingAgency !== request.requester.agency) {
    throw new RetrievalRefused('GRANT_NOT_FOR_AGENCY', 'the grant was given to another relying agency');
  }
  const unusable = grantUnusableReason(grant, now);
  if (unusable === 'revoked') {
    throw new RetrievalRefused('GRANT_REVOKED', `grant ${grant.id} was revoked at ${grant.revoked}`);
  }
  if (unusable === 'expired') {
    throw new RetrievalRefused('GRANT_EXPIRED', `grant ${grant.id} expired at ${grant.expiresAt}`);
  }
  if (unusable === 'exhausted') {
    throw new RetrievalRefused(
      'GRANT_EXHAUSTED',
      `grant ${grant.id} allowed ${grant.maxUses} retrievals and all of them have been made`,
    );
  }
  // What the request names must lie inside the grant before anything is looked up.
  const scopeType = grant.scope.kind === 'type' ? grant.scope.typeCode : typeOfKey(grant.scope.licenseId);
  if (scopeType !== target.typeCode) {
    throw new RetrievalRefused(
      'GRANT_DOES_NOT_COVER',
      `grant ${grant.id} covers licenses of type ${scopeType}, not ${target.typeCode}`,
    );
  }
  if (
    grant.scope.kind === 'license' &&
    target.reference !== undefined &&
    target.reference.licenseKey !== grant.scope.licenseId
  ) {
    throw new RetrievalRefused('GRANT_DOES_NOT_COVER', `grant ${grant.id} covers another license`);
  }
  const purpose = request.purpose ?? grant.purpose;
  if (purpose !== grant.purpose) {
    throw new RetrievalRefused(
      'PURPOSE_NOT_ALLOWED',
      `grant ${grant.id} allows the purpose ${JSON.stringify(grant.purpose)}, found ${JSON.stringify(purpose)}`,
    );
  }
  return purpose;
}

/**
 * The fields of a basis the license type still lets be disclosed. A grant names the fields that
 * were disclosable when it was given; the operator may since have withdrawn one (sharing
 * agreements are checked when the type changes, grants — as many as holders make — at their use).
 */
async function stillDisclosable(
  fields: readonly string[],
  typeCode: string,
  deps: Pick<RetrieveLicenseDeps, 'config'>,
): Promise<string[]> {
  const type = (await deps.config.getLicenseType(typeCode))?.value;
  // Nothing to disclose is no retrieval to count or record: a type the catalog no longer holds is refused.
  if (type === undefined) throw new LicenseTypeNotFound(typeCode);
  const disclosable = new Set(disclosableFieldNames(type));
  return fields.filter((field) => disclosable.has(field));
}

/**
 * Step 3, once the basis allowed the request: the license, covered by the basis and in force
 * today. Whatever this step answers (no such license, not covered, revoked, suspended, expired,
 * not yet valid)
 * tells the agency something about a person, so it is recorded as a denied retrieval before it
 * is answered — and, should that record fail, not answered.
 */
async function retrievableLicense(
  request: RetrieveLicenseRequest,
  target: Target,
  holderIndex: string | undefined,
  allowance: Allowance,
  now: Date,
  deps: RetrieveLicenseDeps,
): Promise<{ license: LicenseRecord; content: LicenseContent }> {
  const today = chinaCalendarDate(now);
  let found: LicenseRecord | undefined;
  let successor: string | undefined;
  try {
    if (allowance.grant === undefined) {
      found = await licenseOfTarget(target, holderIndex, today, deps);
    } else {
      found = await grantedLicense(allowance.grant, target, today, deps);
      checkGrantCovers(allowance.grant, found);
    }
    const content = asLicenseContent(found.content);
    const status = effectiveStatus(found.status, content.validity, today);
    if (status !== 'valid') {
      successor = status === 'superseded' ? await successorToName(found, deps) : undefined;
      throw new LicenseNotRetrievable(
        found.id,
        status,
        successor === undefined ? '' : `; the current version is ${successor}`,
      );
    }
    // Handed out now, it would fail the agency's own verification (nbf) with the platform's copy
    // vouching for it.
    if (!isInForce(found.status, content.validity, today)) {
      throw new LicenseNotYetValid(found.id, content.validity.from, 'retrieved');
    }
    return { license: found, content };
  } catch (error) {
    const refusal = refusalCodeOf(error);
    if (refusal !== undefined) {
      // A license the grant does not cover is another holder's business, not this grant's: the
      // event names the grant only, so it reaches the history of the holder whose grant was used.
      const named = refusal === 'GRANT_DOES_NOT_COVER' ? undefined : found;
      // What the answer told beyond the license: the version that replaced it; or, looked up by a
      // holder the agency named and finding none, whom it asked about — by blind index, never the
      // number — so that an inquiry finds which agencies asked after a person. (Under a grant the
      // event names the grant, and so its holder.)
      const told = {
        ...(successor === undefined ? {} : { currentLicenseId: successor }),
        ...(named === undefined && allowance.grant === undefined && holderIndex !== undefined
          ? { holderIndex }
          : {}),
      };
      await deps.audit.record(
        deniedRetrievalEvent(request, allowance, target, named, refusal, now, deps, told),
      );
    }
    throw error;
  }
}

/**
 * The version that superseded `license`, when its holder holds it too: one re-issued to another
 * holder is that holder's, and is not named — as the holder API does not name it (holder-licenses.ts).
 */
async function successorToName(
  license: LicenseRecord,
  deps: Pick<RetrieveLicenseDeps, 'licenses'>,
): Promise<string | undefined> {
  if (license.supersededBy === undefined) return undefined;
  const successor = await deps.licenses.get(license.supersededBy);
  return successor?.holderIndex === license.holderIndex ? successor.id : undefined;
}

function licenseOfTarget(
  target: Target,
  holderIndex: string | undefined,
  today: string,
  deps: RetrieveLicenseDeps,
): Promise<LicenseRecord> {
  return target.reference === undefined
    ? holdersLicense(holderIndex!, target.typeCode, today, deps)
    : storedLicense(target.reference, deps);
}

/**
 * The license a grant is asked to cover: a grant of one license means that license, however the
 * request named it (by type too); one asked for by type is the grant holder's; undefined when
 * there is none.
 */
async function grantedLicense(
  grant: Grant,
  target: Target,
  today: string,
  deps: RetrieveLicenseDeps,
): Promise<LicenseRecord | undefined> {
  const reference =
    grant.scope.kind === 'license' && target.reference === undefined
      ? parseLicenseReference(grant.scope.licenseId)
      : target.reference;
  return reference === undefined
    ? holdersLicense(grant.holderIndex, target.typeCode, today, deps)
    : findLicense(reference, deps.licenses);
}

/**
 * Under a grant, a license that does not exist and one the grant does not cover are refused
 * alike, naming no license: a grant is no way to learn which licenses exist.
 */
function checkGrantCovers(
  grant: Grant,
  license: LicenseRecord | undefined,
): asserts license is LicenseRecord {
  const covered =
    license !== undefined &&
    license.holderIndex === grant.holderIndex &&
    (grant.scope.kind === 'license'
      ? license.licenseKey === grant.scope.licenseId
      : license.typeCode === grant.scope.typeCode);
  if (!covered) {
    throw new RetrievalRefused(
      'GRANT_DOES_NOT_COVER',
      `grant ${grant.id} does not cover the license asked for`,
    );
  }
}

/** The code of a refusal step 3 answers with, or undefined for a failure (which answers nothing). */
function refusalCodeOf(error: unknown): string | undefined {
  if (
    error instanceof LicenseNotRetrievable ||
    error instanceof LicenseNotYetValid ||
    error instanceof HolderLicenseNotFound ||
    error instanceof LicenseNotFound ||
    error instanceof RetrievalRefused
  ) {
    return error.code;
  }
  return undefined;
}

/**
 * Step 2 on a duty basis, its refusals recorded before they are answered as a grant's are: an
 * agency asking outside its agreements — none for the type and service item, none in force, a
 * purpose none allows — leaves a record of the attempt.
 */
async function allowedByAgreementAudited(
  request: RetrieveLicenseRequest,
  duty: { serviceItemCode: string; caseNumber: string; operatorId: string },
  target: Target,
  today: string,
  now: Date,
  deps: RetrieveLicenseDeps,
): Promise<Allowance> {
  try {
    return await allowedByAgreement(request, duty, target.typeCode, today, deps);
  } catch (error) {
    if (error instanceof RetrievalRefused) {
      await deps.audit.record(basisRefusalEvent(request, undefined, target, error.code, now, deps));
    }
    throw error;
  }
}

async function allowedByAgreement(
  request: RetrieveLicenseRequest,
  duty: { serviceItemCode: string; caseNumber: string; operatorId: string },
  typeCode: string,
  today: string,
  deps: RetrieveLicenseDeps,
): Promise<Allowance> {
  const caseNumber = duty.caseNumber.trim();
  const operatorId = duty.operatorId.trim();
  for (const [name, value] of [
    ['case number', caseNumber],
    ['operator id', operatorId],
  ] as const) {
    if (value === '' || value.length > MAX_DUTY_REFERENCE_LENGTH) {
      throw new RetrievalRequestInvalid(
        `a duty-based retrieval states its ${name} (1–${MAX_DUTY_REFERENCE_LENGTH} characters), found ${JSON.stringify(value)}`,
      );
    }
  }
  // Both are audited with the retrieval, for good: a case or staff member is named by its own
  // reference, never by a citizen identity number — nor, on a lookup by holder, by the holder's own
  // code of whatever type (a passport number is no GB 11643 number, and would pass unnoticed).
  const holderCodes = 'holder' in request.target ? [request.target.holder.code] : [];
  refuseIdentityNumbers(
    { 'basis.duty.caseNumber': caseNumber, 'basis.duty.operatorId': operatorId },
    holderCodes,
  );
  const forItem = (await agreementsOf(request.requester.agency, typeCode, deps)).filter(
    (a) => a.typeCode === typeCode && a.serviceItem.code === duty.serviceItemCode,
  );
  if (forItem.length === 0) {
    // A code no agreement names is the agency's own text, and the refusal's record keeps it for
    // good (and its message repeats it); a code an agreement names is the operator's, kept with the
    // agreement, and is not refused even should it read as a number (nor block that agreement).
    refuseIdentityNumbers(
      { 'basis.duty.serviceItemCode': duty.serviceItemCode },
      holderCodes,
      'no agreement names this code, and the refusal that would answer it is kept for good in the audit log; name the service item of the agreement',
    );
    throw new RetrievalRefused(
      'NO_SHARING_AGREEMENT',
      `no sharing agreement of agency ${request.requester.agency} covers type ${typeCode} for service item ${duty.serviceItemCode}`,
    );
  }
  const inForce = forItem.filter((a) => isAgreementInForce(a, today));
  if (inForce.length === 0) {
    const windows = forItem.map((a) => `${a.id} ${a.validFrom}–${a.validUntil}`).join(', ');
    throw new RetrievalRefused('AGREEMENT_NOT_IN_FORCE', `no agreement is in force on ${today}: ${windows}`);
  }
  const { agreement, purpose } = agreementForPurpose(inForce, request.purpose);
  return {
    basis: {
      kind: 'duty',
      agreementId: agreement.id,
      serviceItem: agreement.serviceItem,
      caseNumber,
      operatorId,
    },
    // Checked against the type when the agreement was written; a type change racing that write
    // could still have withdrawn a field, so what goes out is what the type allows now.
    fields: await stillDisclosable(agreement.fields, typeCode, deps),
    purpose,
    endsAt: endOfChinaDay(agreement.validUntil),
    agreement,
  };
}

/**
 * Which of the agreements in force (for one type and service item) the request is made under: the
 * one allowing the stated purpose — or, with none stated, the one purpose they allow between them.
 * Should two allow the purpose (a renewal overlapping the agreement it replaces), the one in force
 * since the later day: its terms are the current ones, and the agency has no way to name another.
 */
function agreementForPurpose(
  inForce: readonly SharingAgreement[],
  stated: string | undefined,
): { agreement: SharingAgreement; purpose: string } {
  const purposes = [...new Set(inForce.flatMap((a) => a.purposes))];
  const named = (list: readonly string[]) => list.map((p) => JSON.stringify(p)).join(', ');
  const ids = inForce.map((a) => a.id).join(', ');
  if (stated === undefined && purposes.length > 1) {
    throw new RetrievalRequestInvalid(
      `the agreements in force (${ids}) allow several purposes; state one of ${named(purposes)}`,
    );
  }
  const purpose = stated ?? purposes[0]!;
  const agreement = inForce
    .filter((a) => a.purposes.includes(purpose))
    .sort((a, b) => b.validFrom.localeCompare(a.validFrom) || a.id.localeCompare(b.id))[0];
  if (agreement === undefined) {
    throw new RetrievalRefused(
      'PURPOSE_NOT_ALLOWED',
      `the agreements in force (${ids}) allow the purposes ${named(purposes)}, found ${JSON.stringify(purpose)}`,
    );
  }
  return { agreement, purpose };
}

async function agreementsOf(
  agency: string,
  typeCode: string,
  deps: RetrieveLicenseDeps,
): Promise<SharingAgreement[]> {
  const agreements: SharingAgreement[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.config.listSharingAgreementsOfAgency(agency, {
      typeCode,
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    agreements.push(...page.items.map((item) => item.value));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return agreements;
}

async function storedLicense(reference: LicenseReference, deps: RetrieveLicenseDeps): Promise<LicenseRecord> {
  const license = await findLicense(reference, deps.licenses);
  if (license === undefined) {
    throw new LicenseNotFound(reference.kind === 'version' ? reference.id : reference.licenseKey);
  }
  return license;
}

/**
 * The holder's license of the type. A holder may have several (an old card revoked, a new one
 * issued under a new serial): the one in force wins, then one valid but not yet in force (a
 * renewal issued ahead of its term: refused, naming its first day), then the most recently issued.
 */
async function holdersLicense(
  holderIndex: string,
  typeCode: string,
  today: string,
  deps: RetrieveLicenseDeps,
): Promise<LicenseRecord> {
  const entries = await deps.licenses.listByHolder(holderIndex, typeCode);
  const records = (await Promise.all(entries.map((entry) => deps.licenses.get(entry.licenseId)))).filter(
    (record): record is LicenseRecord => record !== undefined,
  );
  const rank = (record: LicenseRecord) => {
    const { validity } = asLicenseContent(record.content);
    if (isInForce(record.status, validity, today)) return 2;
    return effectiveStatus(record.status, validity, today) === 'valid' ? 1 : 0;
  };
  const chosen = records.sort((a, b) => rank(b) - rank(a) || b.issuedAt.localeCompare(a.issuedAt))[0];
  if (chosen === undefined) throw new HolderLicenseNotFound(typeCode);
  return chosen;
}

/**
 * A retrieval refused after its basis allowed it: who asked, on what basis, for which license (when
 * one was found — it then shows in that holder's access history) and why it was refused.
 */
function deniedRetrievalEvent(
  request: RetrieveLicenseRequest,
  allowance: Allowance,
  target: Target,
  found: LicenseRecord | undefined,
  refusal: string,
  now: Date,
  deps: Pick<RetrieveLicenseDeps, 'newEventId'>,
  told: { currentLicenseId?: string; holderIndex?: string } = {},
): AuditEvent {
  const { basis } = allowance;
  return {
    id: deps.newEventId(),
    time: now.toISOString(),
    actor: { kind: 'agency', id: request.requester.agency },
    action: 'license.retrieved',
    subject: {
      ...(found === undefined ? {} : { licenseId: found.id, licenseVersion: found.licenseVersion }),
      typeCode: target.typeCode,
      ...(basis.kind === 'grant' ? { grantId: basis.grantId } : {}),
    },
    basis: eventBasis(basis, allowance.purpose),
    outcome: 'denied',
    details: {
      basis: basis.kind,
      keyId: request.requester.keyId,
      lookup: target.reference === undefined ? 'holder' : 'license',
      refusal,
      ...(basis.kind === 'duty' ? { agreementId: basis.agreementId, operatorId: basis.operatorId } : {}),
      ...told,
    },
  };
}

/**
 * A retrieval refused on its basis before any license was looked up: who asked, for what type,
 * and why. It names no license — none was looked up, and one the request names may be another
 * holder's — and no purpose: the basis did not allow the request, and what the agency stated is
 * unchecked text.
 * - On a grant: the grant when the code named one (the event is then indexed under the grant, and
 *   shows in its holder's access history), and nothing of the code, a secret whether it named a
 *   grant or not.
 * - On a duty: the service item, case number and operator id, checked to hold no identity number
 *   (the service item code when no agreement names it).
 */
function basisRefusalEvent(
  request: RetrieveLicenseRequest,
  grantId: string | undefined,
  target: Target,
  refusal: string,
  now: Date,
  deps: Pick<RetrieveLicenseDeps, 'newEventId'>,
): AuditEvent {
  const lookup = target.reference === undefined ? 'holder' : 'license';
  const keyId = request.requester.keyId;
  const onBasis: Pick<AuditEvent, 'subject' | 'basis' | 'details'> =
    'grant' in request.basis
      ? {
          subject: { typeCode: target.typeCode, ...(grantId === undefined ? {} : { grantId }) },
          ...(grantId === undefined ? {} : { basis: { legalBasis: `holder grant ${grantId}` } }),
          details: { basis: 'grant', keyId, lookup, refusal },
        }
      : {
          subject: { typeCode: target.typeCode },
          basis: {
            caseNumber: request.basis.duty.caseNumber.trim(),
            serviceItemCode: request.basis.duty.serviceItemCode,
          },
          details: {
            basis: 'duty',
            keyId,
            operatorId: request.basis.duty.operatorId.trim(),
            lookup,
            refusal,
          },
        };
  return {
    id: deps.newEventId(),
    time: now.toISOString(),
    actor: { kind: 'agency', id: request.requester.agency },
    action: 'license.retrieved',
    ...onBasis,
    outcome: 'denied',
  };
}

function eventBasis(basis: RetrievalBasis, purpose: string): NonNullable<AuditEvent['basis']> {
  return basis.kind === 'grant'
    ? { purpose, legalBasis: `holder grant ${basis.grantId}` }
    : {
        purpose,
        legalBasis: `sharing agreement ${basis.agreementId}`,
        caseNumber: basis.caseNumber,
        serviceItemCode: basis.serviceItem.code,
      };
}

function retrievalEvent(
  request: RetrieveLicenseRequest,
  statement: AnnotatedCopyStatement,
  now: Date,
  lookup: 'license' | 'holder',
  sealWithdrawn: SealWithdrawn | undefined,
): AuditEvent {
  const { basis } = statement;
  return {
    id: statement.eventId,
    time: now.toISOString(),
    actor: { kind: 'agency', id: request.requester.agency },
    action: 'license.retrieved',
    subject: {
      licenseId: statement.licenseId,
      licenseVersion: statement.licenseVersion,
      typeCode: statement.typeCode,
      ...(basis.kind === 'grant' ? { grantId: basis.grantId } : {}),
    },
    basis: eventBasis(basis, statement.purpose),
    outcome: 'success',
    details: {
      basis: basis.kind,
      keyId: request.requester.keyId,
      lookup,
      disclosed: [...statement.disclosed],
      presentationDigest: sdDigest(statement.presentation),
      document: statement.document !== undefined,
      // Which bytes the link opens: an attach replaces a version's document in place.
      ...(statement.document ? { documentSha256: statement.document.sha256 } : {}),
      usableUntil: new Date(statement.expiresAt * 1000).toISOString(),
      ...(basis.kind === 'duty' ? { agreementId: basis.agreementId, operatorId: basis.operatorId } : {}),
      ...(sealWithdrawn ? { sealWithdrawn: sealWithdrawn.kid } : {}),
    },
  };
}

function refusalOfGrantUse(error: GrantUseRefused): RetrievalRefused {
  const code = (
    {
      'not-found': 'GRANT_NOT_FOUND',
      revoked: 'GRANT_REVOKED',
      exhausted: 'GRANT_EXHAUSTED',
      expired: 'GRANT_EXPIRED',
    } as const
  )[error.reason];
  return new RetrievalRefused(code, error.message);
}

/** The instant a civil date (or long-term validity) ends in China Standard Time, in ms. */
function endOfChinaDay(date: string): number {
  const start = Date.parse(`${date}T00:00:00.000+08:00`);
  return Number.isFinite(start) ? start + 24 * 60 * 60 * 1000 : Number.POSITIVE_INFINITY;
}

function typeOfKey(licenseKey: string): string {
  try {
    return parseLicenseReference(licenseKey).typeCode;
  } catch {
    return '';
  }
}

// The claim names of the credential's object-property disclosures, in their order.
function disclosureNames(sdJwt: string): string[] {
  const names: string[] = [];
  for (const encoded of sdJwt.split('~').slice(1, -1)) {
    const decoded = JSON.parse(fromBase64url(encoded).toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded.length === 3 && typeof decoded[1] === 'string')
      names.push(decoded[1]);
  }
  return names;
}
