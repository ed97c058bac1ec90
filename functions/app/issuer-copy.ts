import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { openLicenseContent } from './license-content.ts';
import { type IssuerCaller, ownLicense } from './license-issuance.ts';

/**
 * The issuing agency's own signed copy of a license version (every disclosure), opened from
 * storage. A repeated issue request is answered from its idempotency record, which keeps no
 * field values; the signed copy is read back here instead of being stored there in the clear.
 */
export async function issuerCopy(
  licenseId: string,
  caller: IssuerCaller,
  deps: { licenses: Pick<LicenseRepository, 'get'>; cipher: FieldCipher },
): Promise<string> {
  const license = await ownLicense(deps.licenses, caller, licenseId);
  const { sdJwt } = await openLicenseContent(
    deps.cipher,
    { dataDomain: license.dataDomain, licenseId: license.id },
    license.content,
  );
  return sdJwt;
}
