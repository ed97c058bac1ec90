import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { openLicenseContent } from './license-content.ts';
import { type IssuerCaller, issuerAuditEvent, ownLicense } from './license-issuance.ts';

/**
 * The issuing agency's own signed copy of a license version (every disclosure), opened from
 * storage. A repeated issue request is answered from its idempotency record, which keeps no
 * field values; the signed copy is read back here instead of being stored there in the clear.
 */
export async function issuerCopy(
  licenseId: string,
  caller: IssuerCaller,
  deps: IssuerCopyDeps,
): Promise<string> {
  return auditedIssuerCopy(await ownLicense(deps.licenses, caller, licenseId), caller, deps);
}

export interface IssuerCopyDeps {
  licenses: Pick<LicenseRepository, 'get'>;
  cipher: FieldCipher;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId?: () => string;
}

/**
 * The copy read back for a request answered again (a repeat, or a re-run that met the license
 * its first run wrote): every field of the license leaves once more, so it is recorded first.
 */
export async function auditedIssuerCopy(
  license: LicenseRecord,
  caller: IssuerCaller,
  deps: Omit<IssuerCopyDeps, 'licenses'>,
): Promise<string> {
  const sdJwt = await issuerCopyOf(license, deps.cipher);
  await deps.audit.record(
    issuerAuditEvent(deps, caller, 'license.issuer_copy_read', deps.now(), {
      licenseId: license.id,
      typeCode: license.typeCode,
    }),
  );
  return sdJwt;
}

/** The signed copy of a license version already read as the caller's own. */
async function issuerCopyOf(license: LicenseRecord, cipher: FieldCipher): Promise<string> {
  const { sdJwt } = await openLicenseContent(
    cipher,
    { dataDomain: license.dataDomain, licenseId: license.id },
    license.content,
  );
  return sdJwt;
}
