import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  CatalogCrossCheckFailed,
  LicenseTypeChangeBreaksAgreements,
} from '#core/catalog/registration-errors.ts';
import { checkSharingAgreement } from '#core/catalog/sharing-agreement.ts';
import { ConfigRecordExists, type ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
  refuseDemoInProduction,
} from './admin-change.ts';
import { issuerProblems } from './catalog-checks.ts';

export interface LicenseTypeDeps extends AdminChangeDeps {
  config: Pick<
    ConfigStore,
    'getAgency' | 'getLicenseType' | 'createLicenseType' | 'updateLicenseType' | 'listSharingAgreementsOfType'
  >;
}

/** Registers a license type; every agency it names as issuer must be a registered issuer. */
export async function registerLicenseType(
  type: LicenseType,
  operator: OperatorActor,
  deps: LicenseTypeDeps,
): Promise<Versioned<LicenseType>> {
  refuseDemoInProduction('license-type', type.code, type, deps.stage);
  if (await deps.config.getLicenseType(type.code)) throw new ConfigRecordExists('license-type', type.code);
  const problems = await issuerProblems(type, deps.config);
  if (problems.length > 0) throw new CatalogCrossCheckFailed('license-type', type.code, problems);
  return deps.config.createLicenseType(
    type,
    adminChangeEvent(deps, operator, 'license_type.registered', {
      subject: { typeCode: type.code },
      details: { version: 1, issuers: type.issuers, fields: type.fields.map((f) => f.name) },
    }),
  );
}

/**
 * Replaces a license type, if nobody changed it since the version the operator read. A change
 * that would leave a registered sharing agreement naming a field the type no longer has or no
 * longer discloses is refused: the agreement is changed first.
 */
export async function updateLicenseType(
  { type, expectedVersion }: { type: LicenseType; expectedVersion: number },
  operator: OperatorActor,
  deps: LicenseTypeDeps,
): Promise<Versioned<LicenseType>> {
  atExpectedVersion('license-type', type.code, await deps.config.getLicenseType(type.code), expectedVersion);
  refuseDemoInProduction('license-type', type.code, type, deps.stage);
  const problems = await issuerProblems(type, deps.config);
  if (problems.length > 0) throw new CatalogCrossCheckFailed('license-type', type.code, problems);
  const broken = await brokenAgreements(type, deps.config);
  if (broken.length > 0) throw new LicenseTypeChangeBreaksAgreements(type.code, broken);
  return deps.config.updateLicenseType(
    type,
    expectedVersion,
    adminChangeEvent(deps, operator, 'license_type.updated', {
      subject: { typeCode: type.code },
      details: {
        version: expectedVersion + 1,
        issuers: type.issuers,
        fields: type.fields.map((f) => f.name),
      },
    }),
  );
}

async function brokenAgreements(
  type: LicenseType,
  config: Pick<ConfigStore, 'listSharingAgreementsOfType'>,
): Promise<{ agreement: string; reason: string }[]> {
  const broken: { agreement: string; reason: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await config.listSharingAgreementsOfType(type.code, cursor ? { cursor } : {});
    for (const { value: agreement } of page.items) {
      for (const problem of checkSharingAgreement(agreement, type)) {
        broken.push({ agreement: agreement.id, reason: problem.reason });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return broken;
}
