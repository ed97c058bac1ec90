import { reissue } from '#core/lifecycle.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { SuccessorCannotReissue } from './issuer-errors.ts';
import { type LayoutDocumentRef, openLicenseContent } from './license-content.ts';
import {
  agencyActor,
  carriesData,
  checkLicense,
  fieldsOfSdJwt,
  type HolderInput,
  holderKeyOf,
  type IssuanceDeps,
  type IssuedLicense,
  type IssuerCaller,
  issuableType,
  issueDay,
  issuerAuditEvent,
  ownLicense,
  signLicense,
  type ValidityInput,
  writtenWithHolderKey,
} from './license-issuance.ts';
import { predecessorServed } from './succession.ts';

export interface ReissueRequest {
  /** Full identifier of the version to supersede. */
  licenseId: string;
  reason?: string | undefined;
  /** The new version's data; the current version's data when absent (补发 of a lost copy). */
  data?: Readonly<Record<string, unknown>> | undefined;
  holder?: HolderInput | undefined;
  /** As for an issue; the current version's when the data carries none and none is given. */
  validity?: ValidityInput | undefined;
}

export interface ReissuedLicense extends IssuedLicense {
  /** The version this one supersedes. */
  supersedes: string;
}

export interface ReissueDeps extends Omit<IssuanceDeps, 'licenses'> {
  licenses: Pick<LicenseRepository, 'get' | 'reissue'>;
}

/**
 * 换发/补发: only the issuing agency, still registered for the type — not its successor
 * (SuccessorCannotReissue: the identifier of every version names the issuer); the lifecycle supersedes the
 * current version (IllegalTransition from a final status) and names the next; the next version
 * is checked against the type like a new license, gets its own status-list slot on the same
 * list shard, is signed and sealed; old version, new version, both status entries, holder index
 * and audit event are written together, under the old version's optimistic lock and while the
 * holder's device key the new version is bound to (cnf) is still active.
 */
export async function reissueLicense(
  request: ReissueRequest,
  caller: IssuerCaller,
  deps: ReissueDeps,
): Promise<ReissuedLicense> {
  const predecessor = await predecessorServed(deps.config, caller, request.licenseId);
  if (predecessor !== undefined)
    throw new SuccessorCannotReissue(caller.agency, request.licenseId, predecessor);
  const current = await ownLicense(deps.licenses, caller, request.licenseId);
  const { type, seal } = await issuableType(deps.config, caller.agency, current.typeCode);
  const now = deps.now();
  const step = reissue(
    { id: current.id, status: current.status },
    {
      actor: agencyActor(caller),
      at: now.toISOString(),
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
    },
  );
  const opened = await openLicenseContent(
    deps.cipher,
    { dataDomain: current.dataDomain, licenseId: current.id },
    current.content,
  );
  // 补发 of a lost copy sends nothing: the current version's data, and its validity where the
  // data does not carry it.
  const license = checkLicense(
    type,
    {
      data: request.data ?? fieldsOfSdJwt(opened.sdJwt),
      holder: request.holder,
      validity: request.validity,
      currentValidity: opened.content.validity,
    },
    issueDay(now),
  );
  // The layout document prints the data and the validity; it stays bound only to a version
  // with both unchanged — data sent whole as it is (an issuer's system sends every field) too.
  const dataChanged = !carriesData(opened.sdJwt, license.data);
  const unchanged =
    !dataChanged &&
    license.validity.from === opened.content.validity.from &&
    license.validity.until === opened.content.validity.until;
  const document: LayoutDocumentRef | undefined = unchanged ? opened.content.document : undefined;
  const holderIndex = await deps.blindIndex.tokenFor(license.holder.codeType, license.holder.code);
  const [slot, keyRead] = await Promise.all([
    deps.statusLists.allocateSlot(current.issuerCode, current.typeCode, current.licenseKey),
    holderKeyOf(deps, holderIndex),
  ]);
  // Signed again, once, if the holder revoked the device key meanwhile: writtenWithHolderKey.
  const { sdJwt, statusList } = await writtenWithHolderKey(deps, holderIndex, keyRead, async (holderKey) => {
    const signed = await signLicense(
      {
        licenseId: step.newId,
        issuerUscc: caller.agency,
        seal,
        type: { dataDomain: current.dataDomain, holder: type.holder },
        license,
        slot,
        issuedAt: now,
        document,
        holderKey: holderKey?.jwk,
      },
      deps,
    );
    await deps.licenses.reissue({
      current,
      change: step.change,
      next: {
        id: step.newId,
        holderIndex,
        statusSlot: slot,
        issuedAt: now.toISOString(),
        content: signed.content,
      },
      auditEvent: issuerAuditEvent(
        deps,
        caller,
        'license.reissued',
        now,
        { licenseId: step.newId, typeCode: current.typeCode },
        {
          supersedes: current.id,
          reason: step.change.reason ?? null,
          dataChanged: dataChanged ? 1 : 0,
        },
      ),
      deviceKey: holderKey?.bound,
    });
    return signed;
  });
  return {
    licenseId: step.newId,
    version: step.newVersion,
    status: 'valid',
    statusList,
    sdJwt,
    supersedes: current.id,
  };
}
