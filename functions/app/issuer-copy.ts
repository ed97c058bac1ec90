import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { IssuedLicenseChanged, LicenseSealWithdrawn } from './issuer-errors.ts';
import { asLicenseContent, openLicenseContent } from './license-content.ts';
import { type IssuerCaller, issuerAuditEvent, ownLicense } from './license-issuance.ts';
import { type SealStandings, sealWithdrawnOf } from './seal-standing.ts';

/**
 * The issuing agency's own signed copy of a license version (every disclosure), opened from
 * storage. A repeated issue request is answered from its idempotency record, which keeps no
 * field values; the signed copy is read back here instead of being stored there in the clear.
 *
 * IssuedLicenseChanged when it is no longer valid (suspended, revoked, superseded since): the
 * stored answer says `valid`. LicenseSealWithdrawn when its seal key was withdrawn since: the stored answer says `valid`, and
 * the copy would fail verification — as a re-run of the same request meeting that license is
 * refused (issue-license.ts), so is the answer given again, telling the issuer which version to
 * re-issue — or, when it was re-issued meanwhile, which version is current.
 */
export async function issuerCopy(
  licenseId: string,
  caller: IssuerCaller,
  deps: IssuerCopyDeps,
): Promise<string> {
  const license = await ownLicense(deps.licenses, caller, licenseId);
  // Suspended or revoked: no re-issue to point to. Superseded: a withdrawn seal key is told first,
  // naming the current version and whether it needs re-issuing too (LicenseSealWithdrawn).
  if (license.status === 'suspended' || license.status === 'revoked') {
    throw new IssuedLicenseChanged(license.id, license.status, undefined);
  }
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: license.issuerCode, issuerJwt: asLicenseContent(license.content).issuerJwt },
    deps.seals,
  );
  if (sealWithdrawn) {
    throw new LicenseSealWithdrawn(license.id, sealWithdrawn.kid, {
      issued: { version: license.licenseVersion, current: await supersedingVersion(license, deps) },
    });
  }
  if (license.status !== 'valid') {
    throw new IssuedLicenseChanged(license.id, license.status, license.supersededBy);
  }
  return auditedIssuerCopy(license, caller, deps);
}

/**
 * The license's current version when the agency re-issued this one meanwhile — perhaps already
 * to have it sealed anew, so "re-issue it" would be wrong (and refused: it is no longer current).
 */
async function supersedingVersion(license: LicenseRecord, deps: IssuerCopyDeps) {
  if (license.supersededBy === undefined) return undefined;
  const current = await deps.licenses.getCurrent(license.licenseKey);
  if (current === undefined || current.id === license.id) return undefined;
  const sealWithdrawn = await sealWithdrawnOf(
    { issuerCode: current.issuerCode, issuerJwt: asLicenseContent(current.content).issuerJwt },
    deps.seals,
  );
  return {
    licenseId: current.id,
    version: current.licenseVersion,
    status: current.status,
    sealWithdrawn: sealWithdrawn !== undefined,
  };
}

export interface IssuerCopyDeps {
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent'>;
  cipher: FieldCipher;
  /** Whether the license's seal key is withdrawn: one cached registry read (seal-standing.ts). */
  seals: SealStandings;
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
  deps: Omit<IssuerCopyDeps, 'licenses' | 'seals'>,
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
