import { changedMembers } from '#core/catalog/record-changes.ts';
import { CatalogCrossCheckFailed } from '#core/catalog/registration-errors.ts';
import { type SharingAgreement, sharingAgreementTextIssues } from '#core/catalog/sharing-agreement.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import {
  ConfigRecordExists,
  ConfigRecordInvalid,
  type ConfigStore,
  type LicenseTypeAsRead,
} from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  refuseDemoData,
} from './admin-change.ts';
import { agreementProblems } from './catalog-checks.ts';

export interface SharingAgreementDeps extends AdminChangeDeps {
  config: Pick<
    ConfigStore,
    | 'getAgency'
    | 'getLicenseType'
    | 'getSharingAgreement'
    | 'createSharingAgreement'
    | 'updateSharingAgreement'
  >;
}

/**
 * Registers a duty-based sharing agreement (依职能用证) after checking it against the catalog:
 * its type and relying agency registered, the agency a relying one, every field disclosable.
 */
export async function registerSharingAgreement(
  agreement: SharingAgreement,
  operator: OperatorActor,
  deps: SharingAgreementDeps,
): Promise<Versioned<SharingAgreement>> {
  refuseDemoData('sharing-agreement', agreement.id, agreement, deps);
  refuseControlCharacters(agreement);
  if (await deps.config.getSharingAgreement(agreement.id)) {
    throw new ConfigRecordExists('sharing-agreement', agreement.id);
  }
  const typeAsRead = await refuseMisfit(agreement, deps);
  return deps.config.createSharingAgreement(
    agreement,
    adminChangeEvent(deps, operator, 'sharing_agreement.registered', {
      subject: { typeCode: agreement.typeCode },
      // The whole agreement: a few KB at most (16 purposes, 128 field names).
      details: {
        agreement: agreement.id,
        version: 1,
        relyingAgency: agreement.relyingAgency,
        serviceItem: agreement.serviceItem,
        purposes: agreement.purposes,
        fields: agreement.fields,
        validFrom: agreement.validFrom,
        validUntil: agreement.validUntil,
        ...(agreement.demo ? { demo: true } : {}),
      },
    }),
    typeAsRead,
  );
}

/** Replaces an agreement, if nobody changed it since the version the operator read, after the same checks. */
export async function updateSharingAgreement(
  { agreement, expectedVersion }: { agreement: SharingAgreement; expectedVersion: number },
  operator: OperatorActor,
  deps: SharingAgreementDeps,
): Promise<Versioned<SharingAgreement>> {
  const current = atExpectedVersion(
    'sharing-agreement',
    agreement.id,
    await deps.config.getSharingAgreement(agreement.id),
    expectedVersion,
  );
  refuseDemoData('sharing-agreement', agreement.id, agreement, deps);
  refuseControlCharacters(agreement);
  const typeAsRead = await refuseMisfit(agreement, deps, grantsAgainst(current.value, agreement, deps.now()));
  return deps.config.updateSharingAgreement(
    agreement,
    expectedVersion,
    adminChangeEvent(deps, operator, 'sharing_agreement.updated', {
      subject: { typeCode: agreement.typeCode },
      details: {
        agreement: agreement.id,
        version: expectedVersion + 1,
        relyingAgency: agreement.relyingAgency,
        changes: changedMembers(current.value, agreement),
      },
    }),
    typeAsRead,
  );
}

/**
 * Refuses an agreement that does not fit the catalog; else the license type it was checked
 * against, as read, which its write is conditioned on (LicenseTypeAsRead): a type update at the
 * same moment checks this agreement's old version, not this one.
 */
async function refuseMisfit(
  agreement: SharingAgreement,
  deps: SharingAgreementDeps,
  grants: 'new' | 'less' | 'ended' = 'new',
): Promise<LicenseTypeAsRead | undefined> {
  const { problems, typeAsRead } = await agreementProblems(agreement, deps.config, grants);
  if (problems.length > 0) throw new CatalogCrossCheckFailed('sharing-agreement', agreement.id, problems);
  return typeAsRead;
}

/**
 * What an update grants measured against the stored agreement: nothing (`ended`: its last day
 * is before today, China time), `less` (the same type, agency and service item, fields and
 * purposes among the stored ones, within the stored validity), or `new`.
 */
function grantsAgainst(
  stored: SharingAgreement,
  updated: SharingAgreement,
  now: Date,
): 'new' | 'less' | 'ended' {
  if (updated.validUntil < chinaCalendarDate(now)) return 'ended';
  const within = <T>(some: readonly T[], all: readonly T[]) => some.every((x) => all.includes(x));
  const less =
    updated.typeCode === stored.typeCode &&
    updated.relyingAgency === stored.relyingAgency &&
    updated.serviceItem.code === stored.serviceItem.code &&
    within(updated.fields, stored.fields) &&
    within(updated.purposes, stored.purposes) &&
    updated.validFrom >= stored.validFrom &&
    updated.validUntil <= stored.validUntil;
  return less ? 'less' : 'new';
}

/**
 * An agreement with a control character in its service item's name or a purpose: 400, naming each.
 * Checked here rather than in the schema, which also reads stored agreements.
 */
function refuseControlCharacters(agreement: SharingAgreement): void {
  const issues = sharingAgreementTextIssues(agreement);
  if (issues.length > 0) throw new ConfigRecordInvalid('sharing-agreement', issues);
}
