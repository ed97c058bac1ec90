import { type Agency, sealKeyWithKid } from '#core/catalog/agency.ts';
import type { ValidityPeriod } from '#core/catalog/license-data.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { CivilDate } from '#core/civil-date.ts';
import { decodeJwsHeader } from '#core/jws.ts';
import { reissue } from '#core/lifecycle.ts';
import { withinRerunWindow } from '#core/request-window.ts';
import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { auditedIssuerCopy } from './issuer-copy.ts';
import {
  ChangeKeyReused,
  IssuedLicenseChanged,
  LicenseDataInvalid,
  LicenseSealWithdrawn,
  SuccessorCannotReissue,
} from './issuer-errors.ts';
import { asLicenseContent, type LayoutDocumentRef, openLicenseContent } from './license-content.ts';
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
import { requestDigest } from './request-digest.ts';
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
  /** The issuer's Idempotency-Key: the new version keeps its digest, so a re-run meets it as its own. */
  requestKey?: string | undefined;
}

export interface ReissuedLicense extends IssuedLicense {
  /** The version this one supersedes. */
  supersedes: string;
}

export interface ReissueDeps extends Omit<IssuanceDeps, 'licenses'> {
  licenses: Pick<LicenseRepository, 'get' | 'reissue'>;
  /**
   * Records the read of the version a re-run answers with (it is not written again); without it
   * a re-run that meets the version its first run wrote is refused as before (IllegalTransition).
   */
  audit?: AuditLogWriter;
}

/**
 * 换发/补发: only the issuing agency, still registered for the type — not its successor
 * (SuccessorCannotReissue: the identifier of every version names the issuer); the lifecycle supersedes the
 * current version (IllegalTransition from a final status) and names the next; the next version
 * is checked against the type like a new license, gets its own status-list slot on the same
 * list shard, is signed and sealed; old version, new version, both status entries, holder index
 * and audit event are written together, under the old version's optimistic lock and while the
 * holder's device key the new version is bound to (cnf) is still active. Under a request key the
 * new version keeps its digest: the same request run again after its idempotency record was lost
 * meets the version superseded, by a version keeping that digest, and is answered with that
 * version as a repeat is ({@link reissuedBefore}), not refused as a second re-issue.
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
  const { type, agency, seal } = await issuableType(deps.config, caller.agency, current.typeCode);
  const now = deps.now();
  const digest =
    request.requestKey === undefined
      ? undefined
      : await requestDigest(
          {
            agency: caller.agency,
            operation: 'reissue',
            licenseId: current.id,
            requestKey: request.requestKey,
          },
          deps.blindIndex,
        );
  if (digest !== undefined && current.status === 'superseded') {
    const answered = await reissuedBefore(current, digest, { request, type, agency, caller, now }, deps);
    if (answered !== undefined) return answered;
  }
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
  const today = issueDay(now);
  const license = checkedReissue(type, request, opened, today);
  refuseStartAfterToday(license.validity, opened.content.validity, today);
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
        requestDigest: digest,
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

/**
 * The re-issue's license as the request asks for it, against the version it supersedes: 补发 of a
 * lost copy sends nothing — the current version's data, and its validity where the data does
 * not carry it.
 */
function checkedReissue(
  type: LicenseType,
  request: ReissueRequest,
  current: { sdJwt: string; content: { validity: ValidityPeriod } },
  today: CivilDate,
) {
  return checkLicense(
    type,
    {
      data: request.data ?? fieldsOfSdJwt(current.sdJwt),
      holder: request.holder,
      validity: request.validity,
      currentValidity: current.content.validity,
    },
    today,
  );
}

/**
 * A re-issue supersedes the current version at once, so one whose term starts after today would
 * leave the holder nothing any verifier accepts (its `nbf`) until then: a renewal ahead of its
 * term is issued as a new license, or re-issued on its first day. A current version not yet in
 * force itself (a renewal issued ahead, being corrected) loses nothing by it.
 */
function refuseStartAfterToday(next: ValidityPeriod, current: { from: string }, today: CivilDate): void {
  if (next.from <= today || current.from > today) return;
  throw new LicenseDataInvalid([
    {
      path: 'validity.from',
      code: 'validity-not-started',
      message: `expected a validity starting on or before today (${today}), found ${next.from}: a re-issue supersedes the current version at once, leaving the holder nothing verifiable until ${next.from}; issue the renewal as a new license, or re-issue on ${next.from}`,
    },
  ]);
}

/**
 * The version the first run of this request wrote, when the version it supersedes names one that
 * keeps the request's digest: answered as that run was — when the request is the same one (the
 * data, holder and validity it comes to against the superseded version, as checked then, and the
 * reason) — with its copy read back and the read recorded (auditedIssuerCopy), as a repeat
 * answered from the idempotency record is (issuer-copy.ts): refused while no longer valid
 * (IssuedLicenseChanged) or sealed with a key since withdrawn (LicenseSealWithdrawn). Another
 * request under the key is ChangeKeyReused; a version without the digest (another request's
 * re-issue), or one made longer ago than the key's idempotency record lasts, is undefined, and
 * the lifecycle refuses the second re-issue.
 */
async function reissuedBefore(
  current: LicenseRecord,
  digest: string,
  asked: { request: ReissueRequest; type: LicenseType; agency: Agency; caller: IssuerCaller; now: Date },
  deps: ReissueDeps,
): Promise<ReissuedLicense | undefined> {
  const { request, type, agency, caller, now } = asked;
  const { audit } = deps;
  if (current.supersededBy === undefined || audit === undefined) return undefined;
  const next = await deps.licenses.get(current.supersededBy);
  if (next === undefined || next.requestDigest !== digest) return undefined;
  // Past the key's idempotency record a repeat is a new request: the second re-issue it asks for
  // is refused by the lifecycle, not answered with the version made weeks ago.
  if (!withinRerunWindow(next.issuedAt, now)) return undefined;
  const open = (version: LicenseRecord) =>
    openLicenseContent(
      deps.cipher,
      { dataDomain: version.dataDomain, licenseId: version.id },
      version.content,
    );
  const [was, made] = await Promise.all([open(current), open(next)]);
  const license = checkedReissue(type, request, was, issueDay(now));
  const supersede = current.history.findLast((change) => change.action === 'supersede');
  const same =
    next.holderIndex === (await deps.blindIndex.tokenFor(license.holder.codeType, license.holder.code)) &&
    carriesData(made.sdJwt, license.data) &&
    made.content.validity.from === license.validity.from &&
    made.content.validity.until === license.validity.until &&
    supersede?.reason === (request.reason?.trim() || undefined);
  if (!same) throw new ChangeKeyReused(next.id, { reissued: current.id });
  if (next.status !== 'valid') throw new IssuedLicenseChanged(next.id, next.status, next.supersededBy);
  const { kid } = decodeJwsHeader(asLicenseContent(next.content).issuerJwt);
  const sealKey = typeof kid === 'string' ? sealKeyWithKid(agency, kid) : undefined;
  if (sealKey === undefined || sealKey.withdrawn !== undefined) {
    throw new LicenseSealWithdrawn(next.id, String(kid), { issued: { version: next.licenseVersion } });
  }
  return {
    licenseId: next.id,
    version: next.licenseVersion,
    status: 'valid',
    statusList: {
      uri: statusListUri(deps.publicBaseUrl, next.statusSlot.listId),
      idx: next.statusSlot.index,
    },
    sdJwt: await auditedIssuerCopy(next, caller, { ...deps, audit }),
    supersedes: current.id,
  };
}
