import { LicenseTypeNotFound } from '#app/retrieval-errors.ts';
import type { ConfigStore } from '#ports/config-store.ts';

/**
 * The data domain of a license type (which license tables hold it), read from the catalog once
 * per container: a type's domain never changes once registered (updateLicenseType refuses it). A type not registered yet may be
 * registered later, so a failed lookup is forgotten rather than cached.
 */
export function dataDomainOf(
  config: Pick<ConfigStore, 'getLicenseType'>,
): (typeCode: string) => Promise<string> {
  const domains = new Map<string, Promise<string>>();
  return (typeCode) => {
    let domain = domains.get(typeCode);
    if (domain === undefined) {
      domain = config.getLicenseType(typeCode).then((type) => {
        if (type === undefined) throw new LicenseTypeNotFound(typeCode);
        return type.value.dataDomain;
      });
      domain.catch(() => domains.delete(typeCode));
      domains.set(typeCode, domain);
    }
    return domain;
  };
}
