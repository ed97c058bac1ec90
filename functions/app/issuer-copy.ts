import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
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
  return issuerCopyOf(await ownLicense(deps.licenses, caller, licenseId), deps.cipher);
}

/** The signed copy of a license version already read as the caller's own. */
export async function issuerCopyOf(license: LicenseRecord, cipher: FieldCipher): Promise<string> {
  const { sdJwt } = await openLicenseContent(
    cipher,
    { dataDomain: license.dataDomain, licenseId: license.id },
    license.content,
  );
  return sdJwt;
}
