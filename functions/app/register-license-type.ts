import {
  fieldPatternIssues,
  type LicenseType,
  licenseDataBudgetIssue,
  licenseTypeTextIssues,
} from '#core/catalog/license-type.ts';
import { licenseTypeChanges, licenseTypeRecorded } from '#core/catalog/record-changes.ts';
import {
  CatalogCrossCheckFailed,
  type CatalogProblem,
  DataDomainChangeRefused,
  HolderMappingChangeRefused,
  LicenseTypeChangeBreaksAgreements,
} from '#core/catalog/registration-errors.ts';
import { checkSharingAgreement } from '#core/catalog/sharing-agreement.ts';
import type { CivilDate } from '#core/civil-date.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { ConfigRecordExists, ConfigRecordInvalid, type ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  refuseDemoData,
} from './admin-change.ts';
import { issuerProblems } from './catalog-checks.ts';

export interface LicenseTypeDeps extends AdminChangeDeps {
  config: Pick<
    ConfigStore,
    | 'getAgency'
    | 'getLicenseType'
    | 'createLicenseType'
    | 'updateLicenseType'
    | 'agreementWritesOfType'
    | 'listSharingAgreementsOfType'
  >;
  /** The data domains the stage has license tables for (its shard map's keys). */
  dataDomains: readonly string[];
}

/** Registers a license type; every agency it names as issuer must be a registered issuer. */
export async function registerLicenseType(
  type: LicenseType,
  operator: OperatorActor,
  deps: LicenseTypeDeps,
): Promise<Versioned<LicenseType>> {
  refuseDemoData('license-type', type.code, type, deps);
  refuseUnregistrable(type);
  if (await deps.config.getLicenseType(type.code)) throw new ConfigRecordExists('license-type', type.code);
  await refuseMisfits(type, deps);
  return deps.config.createLicenseType(
    type,
    adminChangeEvent(deps, operator, 'license_type.registered', {
      subject: { typeCode: type.code },
      details: { version: 1, ...licenseTypeRecorded(type) },
    }),
  );
}

/**
 * Replaces a license type, if nobody changed it since the version the operator read. Its data
 * domain stays: the licenses issued are found in that domain's tables. So does its holder mapping:
 * a re-issue finds the holder in the stored data through the type as it is then, and a license
 * would move to another holder's listing (HolderMappingChangeRefused). A change that would leave
 * a registered sharing agreement naming a field the type no longer has or no longer discloses is
 * refused: the agreement is changed first. An agreement written after the agreements were listed
 * refuses the update instead (SharingAgreementsChanged, see LicenseTypeAsRead).
 */
export async function updateLicenseType(
  { type, expectedVersion }: { type: LicenseType; expectedVersion: number },
  operator: OperatorActor,
  deps: LicenseTypeDeps,
): Promise<Versioned<LicenseType>> {
  refuseUnregistrable(type);
  const current = atExpectedVersion(
    'license-type',
    type.code,
    await deps.config.getLicenseType(type.code),
    expectedVersion,
  );
  if (type.dataDomain !== current.value.dataDomain) {
    throw new DataDomainChangeRefused(type.code, current.value.dataDomain, type.dataDomain);
  }
  const { holder } = current.value;
  if (
    type.holder.nameField !== holder.nameField ||
    type.holder.codeField !== holder.codeField ||
    type.holder.codeType !== holder.codeType
  ) {
    throw new HolderMappingChangeRefused(type.code, holder, type.holder);
  }
  refuseDemoData('license-type', type.code, type, deps);
  await refuseMisfits(type, deps);
  // Read before the listing: the write holds only while no agreement was written after it.
  const agreementWrites = await deps.config.agreementWritesOfType(type.code);
  const broken = await brokenAgreements(type, deps.config, chinaCalendarDate(deps.now()));
  if (broken.length > 0) throw new LicenseTypeChangeBreaksAgreements(type.code, broken);
  return deps.config.updateLicenseType(
    type,
    expectedVersion,
    adminChangeEvent(deps, operator, 'license_type.updated', {
      subject: { typeCode: type.code },
      details: { version: expectedVersion + 1, changes: licenseTypeChanges(current.value, type) },
    }),
    agreementWrites,
  );
}

/** Refuses a type whose data domain has no license tables on the stage, or whose issuers do not issue. */
async function refuseMisfits(type: LicenseType, deps: LicenseTypeDeps): Promise<void> {
  const problems: CatalogProblem[] = [];
  // The schema allows any slug, as domains come by configuration; the stage's tables decide.
  if (!deps.dataDomains.includes(type.dataDomain)) {
    problems.push({
      path: 'dataDomain',
      reason: `the stage has no license tables for data domain ${type.dataDomain}; it has ${deps.dataDomains.join(', ')}`,
    });
  }
  problems.push(...(await issuerProblems(type, deps.config)));
  if (problems.length > 0) throw new CatalogCrossCheckFailed('license-type', type.code, problems);
}

async function brokenAgreements(
  type: LicenseType,
  config: Pick<ConfigStore, 'listSharingAgreementsOfType'>,
  today: CivilDate,
): Promise<{ agreement: string; reason: string }[]> {
  const broken: { agreement: string; reason: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await config.listSharingAgreementsOfType(type.code, cursor ? { cursor } : {});
    for (const { value: agreement } of page.items) {
      // An agreement that has ended grants nothing: it is the record of what it allowed, not to be
      // rewritten to fit today's type (an update bringing it back is checked in full then).
      if (agreement.validUntil < today) continue;
      for (const problem of checkSharingAgreement(agreement, type)) {
        broken.push({ agreement: agreement.id, reason: problem.reason });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return broken;
}

/**
 * A type some license of which could not be stored, with a pattern that is not RE2 syntax, or
 * with a control character in its text: 400, naming the fields. Checked here rather than in the
 * schema, which also reads stored types.
 */
function refuseUnregistrable(type: LicenseType): void {
  const budget = licenseDataBudgetIssue(type);
  const issues = [
    ...(budget === undefined ? [] : [budget]),
    ...fieldPatternIssues(type),
    ...licenseTypeTextIssues(type),
  ];
  if (issues.length > 0) throw new ConfigRecordInvalid('license-type', issues);
}
