// Cross-checks of a record against the rest of the catalog, run before the operator's
// registration or update of a license type or a sharing agreement is written.
import { hasRole } from '#core/catalog/agency.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { CatalogProblem } from '#core/catalog/registration-errors.ts';
import { checkSharingAgreement, type SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import type { ConfigStore, LicenseTypeAsRead } from '#ports/config-store.ts';

/** Agencies looked up at once; a type may name thousands of issuers. */
const LOOKUP_BATCH = 16;

/** Every issuer a type names must be a registered agency with the issuer role. */
export async function issuerProblems(
  type: LicenseType,
  config: Pick<ConfigStore, 'getAgency'>,
): Promise<CatalogProblem[]> {
  const problems: CatalogProblem[] = [];
  for (let start = 0; start < type.issuers.length; start += LOOKUP_BATCH) {
    const batch = type.issuers.slice(start, start + LOOKUP_BATCH);
    const agencies = await Promise.all(batch.map((uscc) => config.getAgency(uscc)));
    agencies.forEach((found, i) => {
      const uscc = batch[i]!;
      const path = `issuers.${start + i}`;
      if (found === undefined) {
        problems.push({ path, reason: `no agency ${uscc} is registered` });
      } else if (!hasRole(found.value, 'issuer')) {
        problems.push({
          path,
          reason: `agency ${uscc} has roles ${found.value.roles.join(', ')}, not issuer`,
        });
      }
    });
  }
  return problems;
}

/**
 * The agreement's type and relying agency must be registered, the agency must have the relying
 * role, and every field must be a disclosable field of the type. An agreement that `grants` only
 * `less` than its stored version (narrowed, or ended) needs no relying role: the operator must be
 * able to wind down the agreements of an agency whose role was taken away without giving it back
 * (which would let the agency retrieve meanwhile). One that has `ended` (its last day before today)
 * grants nothing, so its fields are not held to the type either.
 */
export async function agreementProblems(
  agreement: SharingAgreement,
  config: Pick<ConfigStore, 'getAgency' | 'getLicenseType'>,
  grants: 'new' | 'less' | 'ended' = 'new',
): Promise<{ problems: CatalogProblem[]; typeAsRead: LicenseTypeAsRead | undefined }> {
  const [type, agency] = await Promise.all([
    config.getLicenseType(agreement.typeCode),
    config.getAgency(agreement.relyingAgency),
  ]);
  const problems: CatalogProblem[] = [];
  if (type === undefined) {
    problems.push({ path: 'typeCode', reason: `no license type ${agreement.typeCode} is registered` });
  }
  if (agency === undefined) {
    problems.push({ path: 'relyingAgency', reason: `no agency ${agreement.relyingAgency} is registered` });
  }
  const roleNeeded = grants === 'new';
  if (type !== undefined) {
    const checked = checkSharingAgreement(agreement, type.value, roleNeeded ? agency?.value : undefined);
    problems.push(...(grants === 'ended' ? checked.filter((p) => p.path !== 'fields') : checked));
  } else if (roleNeeded && agency !== undefined && !hasRole(agency.value, 'relying')) {
    problems.push({
      path: 'relyingAgency',
      reason: `agency ${agency.value.uscc} has roles ${agency.value.roles.join(', ')}, not relying`,
    });
  }
  return { problems, typeAsRead: type && { code: agreement.typeCode, version: type.version } };
}
