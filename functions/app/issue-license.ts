import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import {
  checkLicense,
  holderKeyOf,
  type IssuanceDeps,
  type IssuedLicense,
  type IssuerCaller,
  issuableType,
  issueDay,
  issuerAuditEvent,
  type LicenseRequest,
  randomSerial,
  signLicense,
} from './license-issuance.ts';

/**
 * 颁发: the agency may issue the type → the data, holder and validity match the type → the
 * GB/T 36904 identifier (version 001) → the holder's blind index → a status-list slot and the
 * holder's device key (cnf), if any → the SD-JWT VC signed with the agency's seal → content sealed → license, holder index, slot and
 * audit event written in one transaction.
 */
export async function issueLicense(
  request: LicenseRequest,
  caller: IssuerCaller,
  deps: IssuanceDeps,
): Promise<IssuedLicense> {
  const { type, seal } = await issuableType(deps.config, caller.agency, request.typeCode);
  const now = deps.now();
  const license = checkLicense(type, request, issueDay(now));
  const licenseId = buildLicenseId({
    typeCode: type.code,
    issuerCode: caller.agency,
    serial: request.serial ?? (deps.newSerial ?? randomSerial)(),
    version: '001',
  });
  const holderIndex = await deps.blindIndex.tokenFor(license.holder.codeType, license.holder.code);
  const [slot, holderKey] = await Promise.all([
    deps.statusLists.allocateSlot(caller.agency, type.code, licenseKeyOf(licenseId)),
    holderKeyOf(deps, holderIndex),
  ]);
  const { sdJwt, content, statusList } = await signLicense(
    { licenseId, issuerUscc: caller.agency, seal, type, license, slot, issuedAt: now, holderKey },
    deps,
  );
  await deps.licenses.issue(
    { id: licenseId, holderIndex, statusSlot: slot, issuedAt: now.toISOString(), content },
    issuerAuditEvent(
      deps,
      caller,
      'license.issued',
      now,
      { licenseId, typeCode: type.code },
      {
        statusListId: slot.listId,
        statusIndex: slot.index,
      },
    ),
  );
  return { licenseId, version: '001', status: 'valid', statusList, sdJwt };
}
