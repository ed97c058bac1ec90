// 我的证照: a holder lists every license issued to them — every version, with the status it has
// today — and opens one: its data (the holder's own, opened from the sealed disclosures), the
// whole SD-JWT VC for the holder's wallet, and a short-lived link to its layout document.
// A license of another holder reads exactly as one that does not exist. Each answer carries
// personal data, so each is audited before it is given.
//
// A license re-issued to another holder stays in the earlier holder's list — the versions that
// were theirs, marked `former` — but nothing of the next holder's versions shows, not even the
// identifier of the version that replaced theirs; and it is no longer theirs to grant or present.
//
// A live version sealed with a key the operator has since withdrawn is flagged `sealWithdrawn`
// (seal-standing.ts): it fails every verification until its issuer re-issues it.
import type { AuditEvent } from '#core/audit/event.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { fromBase64url } from '#core/jws.ts';
import { type EffectiveStatus, effectiveStatus, isInForce } from '#core/lifecycle.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { DocumentStore } from '#ports/document-store.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { HolderBinding, HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { recordHolderRead } from './holder-read-event.ts';
import { asLicenseContent, openLicenseContent } from './license-content.ts';
import { findLicense, parseLicenseReference } from './license-reference.ts';
import { requireBinding } from './proof-identity.ts';
import { DEFAULT_DOCUMENT_URL_SECONDS } from './retrieve-license.ts';
import { type SealStandings, type SealWithdrawn, sealWithdrawnOf } from './seal-standing.ts';

export interface HolderLicenseDeps {
  identity: HolderIdentityReader;
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent' | 'listByHolder' | 'listVersions'>;
  config: Pick<ConfigStore, 'getLicenseType'>;
  /** Whether a license's seal key is withdrawn: a cached registry read per issuer (seal-standing.ts). */
  seals: SealStandings;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

export interface OpenLicenseDeps extends HolderLicenseDeps {
  cipher: FieldCipher;
  /** Absent: no document links are handed out. */
  documents?: Pick<DocumentStore, 'presignDownload'>;
  documentUrlSeconds?: number;
}

/** One version of a license as its holder sees it in a list. */
export interface HolderLicenseVersion {
  licenseId: string;
  /** The identifier without version and check: the same for every version. */
  licenseKey: string;
  licenseVersion: string;
  typeCode: string;
  typeName?: { zh: string; en: string };
  issuerCode: string;
  /** Today's status: stored, or expired by its validity end. */
  status: EffectiveStatus;
  /**
   * True on a valid version whose first valid day (`validity.from`) is after today: every verifier
   * refuses it until then, and it cannot be presented or retrieved before.
   */
  notYetValid?: true;
  issuedAt: string;
  validity: { from: string; until: string };
  /** Set on a superseded version: the identifier of the version that replaced it, when that one is the holder's too. */
  supersededBy?: string;
  /** True for the highest version of the license. */
  current: boolean;
  /** True when the license was re-issued to another holder: this version was the holder's, the license no longer is. */
  former: boolean;
  hasDocument: boolean;
  /**
   * Present on a valid or suspended version whose seal key the operator has withdrawn: it fails
   * every verification, so presenting it is refused, until its issuer re-issues it.
   */
  sealWithdrawn?: SealWithdrawn;
}

export interface HolderLicenseDetail {
  license: HolderLicenseVersion;
  /** Every field of the license, opened from its disclosures. */
  fields: Record<string, unknown>;
  /** The whole SD-JWT VC (`<issuer-jwt>~<every disclosure>~`): the holder's own copy, for a wallet. */
  credential: string;
  /** True when the credential names a holder key (`cnf`): presentations then carry a KB-JWT. */
  keyBound: boolean;
  document?: { url: string; expiresAt: string; sha256: string; mediaType: string };
  auditEventId: string;
}

/** Every version of every license of the holder, newest license first; audited. */
export async function listHolderLicenses(
  request: { account: string },
  deps: HolderLicenseDeps,
): Promise<{ licenses: HolderLicenseVersion[]; auditEventId: string }> {
  const binding = await requireBinding(deps.identity, request.account);
  const now = deps.now();
  const today = chinaCalendarDate(now);
  const entries = await deps.licenses.listByHolder(binding.holderIndex, undefined, { includeFormer: true });
  const names = typeNames(deps);
  const perLicense = await Promise.all(
    entries.map(async (entry) => {
      const all = await deps.licenses.listVersions(entry.licenseKey);
      const current = all.at(-1);
      // After a re-issue to another holder code, earlier versions belong to the earlier holder.
      const versions = all.filter((record) => record.holderIndex === binding.holderIndex);
      const own = new Set(versions.map((record) => record.id));
      const held = current?.holderIndex === binding.holderIndex;
      return Promise.all(
        versions.map(async (record) =>
          withSealStanding(
            record,
            versionView(record, today, await names(record.typeCode), {
              current: record.id === current?.id,
              former: !held,
              successorShown: record.supersededBy !== undefined && own.has(record.supersededBy),
            }),
            deps,
          ),
        ),
      );
    }),
  );
  const licenses = perLicense
    .flat()
    .sort(
      (a, b) =>
        b.issuedAt.localeCompare(a.issuedAt) ||
        a.licenseKey.localeCompare(b.licenseKey) ||
        b.licenseVersion.localeCompare(a.licenseVersion),
    );
  const sealWithdrawn = licenses.filter((license) => license.sealWithdrawn !== undefined).length;
  const auditEventId = await recordHolderRead(
    request.account,
    'holder.licenses_listed',
    { licenses: licenses.length, ...(sealWithdrawn > 0 ? { sealWithdrawn } : {}) },
    { ...deps, now: () => now },
  );
  return { licenses, auditEventId };
}

/** One license version of the holder with its data and document link; LicenseNotFound for any other. */
export async function openHolderLicense(
  request: { account: string; licenseId: string },
  deps: OpenLicenseDeps,
): Promise<HolderLicenseDetail> {
  const binding = await requireBinding(deps.identity, request.account);
  const record = await holdersLicense(binding, request.licenseId, deps);
  const now = deps.now();
  const { sdJwt, content } = await openLicenseContent(
    deps.cipher,
    { dataDomain: record.dataDomain, licenseId: record.id },
    record.content,
  );
  const current = await deps.licenses.getCurrent(record.licenseKey);
  const successor =
    record.supersededBy === undefined || record.supersededBy === current?.id
      ? current
      : await deps.licenses.get(record.supersededBy);
  const license = await withSealStanding(
    record,
    versionView(record, chinaCalendarDate(now), await typeNames(deps)(record.typeCode), {
      current: current?.id === record.id,
      former: current?.holderIndex !== binding.holderIndex,
      successorShown: record.supersededBy !== undefined && successor?.holderIndex === binding.holderIndex,
    }),
    deps,
  );
  const link =
    content.document !== undefined && deps.documents !== undefined
      ? await deps.documents.presignDownload(
          content.document,
          deps.documentUrlSeconds ?? DEFAULT_DOCUMENT_URL_SECONDS,
        )
      : undefined;
  const auditEventId = deps.newEventId();
  await deps.audit.record(
    holderReadEvent(auditEventId, now, request.account, record, {
      document: link !== undefined,
      // Which bytes the link opens: an attach replaces a version's document in place.
      ...(link !== undefined && content.document ? { documentSha256: content.document.sha256 } : {}),
      ...(license.sealWithdrawn ? { sealWithdrawn: license.sealWithdrawn.kid } : {}),
    }),
  );
  return {
    license,
    fields: disclosedFields(sdJwt),
    credential: sdJwt,
    keyBound: issuerClaims(sdJwt).cnf !== undefined,
    ...(link && content.document
      ? {
          document: {
            url: link.url,
            expiresAt: link.expiresAt.toISOString(),
            sha256: content.document.sha256,
            mediaType: content.document.mediaType,
          },
        }
      : {}),
    auditEventId,
  };
}

/**
 * The license version (identifier) or current version (license key) the caller names, when it
 * is the holder's; LicenseNotFound otherwise — another holder's license is not an existence oracle.
 */
export async function holdersLicense(
  binding: Pick<HolderBinding, 'holderIndex'>,
  licenseId: string,
  deps: { licenses: Pick<LicenseRepository, 'get' | 'getCurrent'> },
): Promise<LicenseRecord> {
  const record = await findLicense(parseLicenseReference(licenseId), deps.licenses);
  if (record === undefined || record.holderIndex !== binding.holderIndex)
    throw new LicenseNotFound(licenseId);
  return record;
}

/**
 * As holdersLicense, for acting on the license as the holder's own (granting, presenting): the
 * license must still be theirs — one re-issued to another holder reads as not found, even by the
 * identifier of a version that was theirs.
 */
export async function heldLicense(
  binding: Pick<HolderBinding, 'holderIndex'>,
  licenseId: string,
  deps: { licenses: Pick<LicenseRepository, 'get' | 'getCurrent'> },
): Promise<LicenseRecord> {
  const record = await holdersLicense(binding, licenseId, deps);
  // Only the highest version is never superseded: a version that is not needs no further read.
  if (record.supersededBy !== undefined) {
    const current = await deps.licenses.getCurrent(record.licenseKey);
    if (current?.holderIndex !== binding.holderIndex) throw new LicenseNotFound(licenseId);
  }
  return record;
}

export function versionView(
  record: LicenseRecord,
  today: string,
  typeName: { zh: string; en: string } | undefined,
  place: {
    current: boolean;
    /** The license's current version is another holder's. */
    former: boolean;
    /** Whether `supersededBy` may be shown: the version that replaced this one is the holder's too. */
    successorShown: boolean;
  },
): HolderLicenseVersion {
  const content = asLicenseContent(record.content);
  const status = effectiveStatus(record.status, content.validity, today);
  return {
    licenseId: record.id,
    licenseKey: record.licenseKey,
    licenseVersion: record.licenseVersion,
    typeCode: record.typeCode,
    ...(typeName === undefined ? {} : { typeName }),
    issuerCode: record.issuerCode,
    status,
    ...(status === 'valid' && !isInForce(record.status, content.validity, today)
      ? { notYetValid: true as const }
      : {}),
    issuedAt: record.issuedAt,
    validity: content.validity,
    ...(record.supersededBy === undefined || !place.successorShown
      ? {}
      : { supersededBy: record.supersededBy }),
    current: place.current,
    former: place.former,
    hasDocument: content.document !== undefined,
  };
}

/**
 * The version with its seal flag. Only a valid or suspended one is asked about: a revoked,
 * superseded or expired version fails verification anyway, and its issuer re-issues nothing for
 * it. A listing costs at most one (cached) registry read per issuer of a live license.
 */
async function withSealStanding(
  record: LicenseRecord,
  view: HolderLicenseVersion,
  deps: Pick<HolderLicenseDeps, 'seals'>,
): Promise<HolderLicenseVersion> {
  if (view.status !== 'valid' && view.status !== 'suspended') return view;
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: record.issuerCode, issuerJwt: asLicenseContent(record.content).issuerJwt },
    deps.seals,
  );
  return sealWithdrawn ? { ...view, sealWithdrawn } : view;
}

function holderReadEvent(
  id: string,
  now: Date,
  account: string,
  record: LicenseRecord,
  details: Record<string, boolean | string>,
): AuditEvent {
  return {
    id,
    time: now.toISOString(),
    actor: { kind: 'holder', id: account },
    action: 'license.holder_viewed',
    subject: { licenseId: record.id, licenseVersion: record.licenseVersion, typeCode: record.typeCode },
    outcome: 'success',
    details,
  };
}

/** The license types' names, each read once per call. */
function typeNames(
  deps: Pick<HolderLicenseDeps, 'config'>,
): (code: string) => Promise<{ zh: string; en: string } | undefined> {
  const names = new Map<string, Promise<{ zh: string; en: string } | undefined>>();
  return (code) => {
    let name = names.get(code);
    if (name === undefined) {
      name = deps.config.getLicenseType(code).then((type) => type?.value.name);
      names.set(code, name);
    }
    return name;
  };
}

/** Field name → value of the credential's object-property disclosures. */
export function disclosedFields(sdJwt: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const encoded of sdJwt.split('~').slice(1, -1)) {
    const decoded = JSON.parse(fromBase64url(encoded).toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded.length === 3 && typeof decoded[1] === 'string') {
      fields[decoded[1]] = decoded[2];
    }
  }
  return fields;
}

/** The issuer-signed JWT's payload (read, not verified: it comes from our own store). */
export function issuerClaims(sdJwt: string): Record<string, unknown> {
  const payload = sdJwt.split('~')[0]?.split('.')[1] ?? '';
  return JSON.parse(fromBase64url(payload).toString('utf8')) as Record<string, unknown>;
}
