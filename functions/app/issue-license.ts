import { type Agency, sealKeyWithKid } from '#core/catalog/agency.ts';
import { refuseCodes } from '#core/holders/identity-in-text.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { decodeJwsHeader } from '#core/jws.ts';
import { isLayoutMediaType } from '#core/layout-document/format.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { withinRerunWindow } from '#core/request-window.ts';
import { statusListUri } from '#core/sd-jwt-vc/index.ts';
import { LicenseAlreadyExists, writeRefused } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import { licenseDocumentOwner } from './document-owner.ts';
import { auditedIssuerCopy } from './issuer-copy.ts';
import {
  IssuanceKeyReused,
  IssuedLicenseChanged,
  LicenseDataInvalid,
  LicenseSealWithdrawn,
} from './issuer-errors.ts';
import { asLicenseContent, openLicenseContent } from './license-content.ts';
import {
  type CheckedLicense,
  carriesData,
  checkLicense,
  derivedSerial,
  holderKeyOf,
  type IssuanceDeps,
  type IssuedLicense,
  type IssuerCaller,
  issuableType,
  issueDay,
  issuerAuditEvent,
  type LicenseRequest,
  randomSerial,
  sensitiveValueInSerial,
  signLicense,
  writtenWithHolderKey,
} from './license-issuance.ts';
import { requestDigest } from './request-digest.ts';
import { removeUnheldDocument } from './unheld-document.ts';

/** One license to issue, optionally with its layout document (版式文件). */
export interface IssueLicenseRequest extends LicenseRequest {
  /** The PDF or OFD the license is printed as; checked and stored like an attached one. */
  document?: { bytes: Uint8Array; mediaType: string } | undefined;
  /**
   * The issuer's name for this issuance: without a serial, the serial follows from it
   * ({@link issuanceSerial}); with one, the license keeps its digest (request-digest.ts).
   */
  issuanceKey?: IssuanceKey | undefined;
  /** The application whose approval this is: written only while it is approving (LicenseRepository.issue). */
  approving?: string | undefined;
}

/** The issuer's own name for one issuance: its request key (the Idempotency-Key) and, in a batch, the item's position. */
export interface IssuanceKey {
  requestKey: string;
  item?: number | undefined;
}

/**
 * The serial of an issuance the issuer named, from agency, request key and item, so the same
 * request run again — a retry after its idempotency record was lost: deleted when the work
 * failed part way, expired at the function's deadline, or never saved — names the license the
 * first run wrote and meets it ({@link issueLicenseOnce}) instead of issuing a second one. Only
 * under the same type: the license identifier includes the type code, and nothing looks licenses
 * up by serial alone, so the key sent again with another type issues another license.
 */
export async function issuanceSerial(
  agency: string,
  key: IssuanceKey,
  blindIndex: BlindIndexer,
): Promise<string> {
  const { requestKey, item } = key;
  const name = JSON.stringify(item === undefined ? [agency, requestKey] : [agency, requestKey, String(item)]);
  // Keyed, by the blind index's secret: from a bare hash anyone holding a license id could test
  // guesses at the request key (an order number, a counter) and learn how the issuer counts. Hex
  // keeps the name's case (the index upper-cases what it is given); `SERIAL` is no holder code type.
  return derivedSerial([await blindIndex.tokenFor('serial', Buffer.from(name, 'utf8').toString('hex'))]);
}

const SERIAL_WHY =
  'the serial is part of the license identifier, which is shown in clear wherever the license is named; use a number of your own or leave the serial out';

export interface IssueLicenseDeps extends IssuanceDeps {
  /** Where a layout document sent with the request is stored; needed only for such requests. */
  documents?: Pick<DocumentStore, 'put' | 'delete'>;
  /**
   * Records the read of the license a re-run answers with (it is not written again); without it
   * a re-run that meets its license is refused instead — unless answered without its copy
   * ({@link issueLicenseWithoutCopy}), which reads none.
   */
  audit?: AuditLogWriter;
}

/**
 * 颁发: a serial the issuer names holds no identity number (IdentityNumberInText) → the agency
 * may issue the type → the data, holder and validity match the type → the
 * GB/T 36904 identifier (version 001) → the holder's blind index → the layout document, if
 * sent, checked and stored → a status-list slot and the holder's device key (cnf), if any → the
 * SD-JWT VC signed with the agency's seal → content sealed (with the document's key and digest)
 * → license, holder index, slot and audit event written in one transaction, while that device key
 * is still active (signed again, once, bound to the key active then: writtenWithHolderKey). A document stored
 * for a license that was then certainly not written is removed again. Without a serial the license gets a
 * random one, or under an issuance key the one derived from it, and is then issued once: a
 * re-run meeting it is answered with it when it asks for the same license, else refused
 * (IssuanceKeyReused for the same holder, LicenseAlreadyExists for another). So is a re-run under
 * an issuance key with a serial the issuer chose, when the license met keeps that key's digest;
 * one that does not was issued by another request (LicenseAlreadyExists).
 */
export async function issueLicense(
  request: IssueLicenseRequest,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
): Promise<IssuedLicense> {
  const { license, copy } = await issueNamed(request, caller, deps);
  return { ...license, sdJwt: await copy() };
}

/** A license as issued, without its signed copy: what an answer that carries none needs. */
export type IssuedLicenseRef = Omit<IssuedLicense, 'sdJwt'>;

/**
 * 颁发 as {@link issueLicense}, answered without the signed copy (a batch's answer carries none):
 * a re-run that meets the license an earlier run wrote answers it without opening a copy, so no
 * copy is recorded as read out (`license.issuer_copy_read`) when none leaves.
 */
export async function issueLicenseWithoutCopy(
  request: IssueLicenseRequest,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
): Promise<IssuedLicenseRef> {
  return (await issueNamed(request, caller, deps)).license;
}

/** A license issued, or met as a re-run's: named, and how to have its signed copy. */
interface Issuance {
  license: IssuedLicenseRef;
  /** The copy: at hand when just signed; one met is opened from storage, and its read audited. */
  copy: () => Promise<string>;
}

async function issueNamed(
  request: IssueLicenseRequest,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
): Promise<Issuance> {
  const { issuanceKey, ...rest } = request;
  // The serial the issuer chose is part of the license identifier, which leaves in clear —
  // audit subjects, URLs, index keys, verification answers — where no field encryption or blind
  // index reaches: a holder's identity number (a natural pick for an ID card) may not be one.
  // Serials the platform draws or derives never are, and are not checked. Only the holder's own
  // code is looked for: an issuer's region + date + sequence serials pass for some identity
  // number about one time in eleven, and refusing those at random would refuse real numbering.
  refuseCodes({ serial: rest.serial }, [rest.holder.code], SERIAL_WHY);
  if (issuanceKey === undefined) return issue(rest, caller, deps, 'refused', rest.serial !== undefined);
  if (rest.serial === undefined) {
    const serial = await issuanceSerial(caller.agency, issuanceKey, deps.blindIndex);
    return issue({ ...rest, serial }, caller, deps, 'same-request');
  }
  // A serial of the issuer's own under a key: the license keeps the key's digest, so a re-run
  // after the idempotency record was lost meets it as its own — and a license another request
  // issued under that serial (no digest, or another) is still refused, not answered as this one.
  const digest = await requestDigest(
    { agency: caller.agency, operation: 'issue', ...issuanceKey },
    deps.blindIndex,
  );
  return issue(rest, caller, deps, { sameRequest: digest }, true);
}

/**
 * 颁发 once for an application, under the serial its id gives: a run that meets the license an
 * earlier run wrote — same type (part of the id) and holder — answers that license's id, which is
 * all an approval records. Whatever became of it since (suspended, revoked, re-issued, its seal
 * withdrawn), it is the license this application issued, so an approval that stopped part way is
 * always completed by approving again; no copy leaves, so nothing is read out to audit. Another
 * holder is another request under a reused name: LicenseAlreadyExists.
 */
export async function issueLicenseOnce(
  request: IssueLicenseRequest & { serial: string },
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
): Promise<{ licenseId: string }> {
  // Looked for before anything is checked, at the cost of one read per approval: what a run
  // checks — the type's rules, the agency's standing as its issuer, the decided validity — may
  // have changed since an earlier run wrote the license, and the application, which may then be
  // neither rejected nor withdrawn, could never be finished.
  const firstVersion = buildLicenseId({
    typeCode: request.typeCode,
    issuerCode: caller.agency,
    serial: request.serial,
    version: '001',
  });
  if (await issuedToThisHolder(firstVersion, request, deps)) return { licenseId: firstVersion };
  try {
    const { licenseId } = (await issue(request, caller, deps, 'refused')).license;
    return { licenseId };
  } catch (error) {
    if (!(error instanceof LicenseAlreadyExists)) throw error;
    if (!(await issuedToThisHolder(error.licenseId, request, deps))) throw error;
    return { licenseId: error.licenseId };
  }
}

async function issuedToThisHolder(
  licenseId: string,
  request: IssueLicenseRequest,
  deps: IssueLicenseDeps,
): Promise<boolean> {
  const [earlier, holderIndex] = await Promise.all([
    deps.licenses.get(licenseId),
    deps.blindIndex.tokenFor(request.holder.codeType, request.holder.code),
  ]);
  return earlier !== undefined && earlier.holderIndex === holderIndex;
}

/**
 * What a run must share with the license it meets under its serial to be answered with it:
 * nothing does (a serial the issuer chose or one drawn at random without a key, and an
 * application's, which issueLicenseOnce answers itself: LicenseAlreadyExists); or the whole
 * request (an issuer's Idempotency-Key: another body under the key is refused, as it is while the
 * key's idempotency record is kept) — with a serial the issuer chose, also the key, by the digest
 * the license keeps of it (`sameRequest`).
 */
type Rerun = 'refused' | 'same-request' | { sameRequest: string };

async function issue(
  request: IssueLicenseRequest,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
  rerun: Rerun,
  /** The serial is the issuer's own choice (not drawn, nor derived from a key or an application). */
  serialChosen = false,
): Promise<Issuance> {
  const { type, agency, seal } = await issuableType(deps.config, caller.agency, request.typeCode);
  const now = deps.now();
  const license = checkLicense(type, request, issueDay(now));
  const sensitiveSerial = serialChosen && sensitiveValueInSerial(type, license.data, request.serial!);
  if (sensitiveSerial) throw new LicenseDataInvalid([sensitiveSerial]);
  const licenseId = buildLicenseId({
    typeCode: type.code,
    issuerCode: caller.agency,
    serial: request.serial ?? (deps.newSerial ?? randomSerial)(),
    version: '001',
  });
  const holderIndex = await deps.blindIndex.tokenFor(license.holder.codeType, license.holder.code);
  const document =
    request.document === undefined ? undefined : await storeDocument(request.document, licenseId, deps);
  let sent = false;
  try {
    const [slot, keyRead] = await Promise.all([
      deps.statusLists.allocateSlot(caller.agency, type.code, licenseKeyOf(licenseId)),
      holderKeyOf(deps, holderIndex),
    ]);
    return await writtenWithHolderKey<Issuance>(deps, holderIndex, keyRead, async (holderKey) => {
      const { sdJwt, content, statusList } = await signLicense(
        {
          licenseId,
          issuerUscc: caller.agency,
          seal,
          type,
          license,
          slot,
          issuedAt: now,
          holderKey: holderKey?.jwk,
          document,
        },
        deps,
      );
      sent = true;
      await deps.licenses.issue(
        {
          id: licenseId,
          holderIndex,
          statusSlot: slot,
          issuedAt: now.toISOString(),
          content,
          ...(typeof rerun === 'object' ? { requestDigest: rerun.sameRequest } : {}),
        },
        issuerAuditEvent(
          deps,
          caller,
          'license.issued',
          now,
          { licenseId, typeCode: type.code },
          {
            statusListId: slot.listId,
            statusIndex: slot.index,
            ...(document === undefined
              ? {}
              : {
                  documentSha256: document.sha256,
                  documentSize: document.size,
                  documentMediaType: document.mediaType,
                }),
          },
        ),
        { approving: request.approving, deviceKey: holderKey?.bound },
      );
      return { license: { licenseId, version: '001', status: 'valid', statusList }, copy: async () => sdJwt };
    });
  } catch (error) {
    // A write that failed unclearly (a timeout) may land a moment later, pointing at the bytes:
    // they stay; if it never lands, the daily sweep of documents nothing holds removes them
    // (sweep-unheld-documents.ts), as it does bytes left by a run that died before this line.
    if (document !== undefined && (!sent || writeRefused(error))) {
      await removeUnheldDocument(licenseId, document, deps);
    }
    if (rerun !== 'refused' && error instanceof LicenseAlreadyExists) {
      const asked = {
        license,
        document,
        digest: typeof rerun === 'object' ? rerun.sameRequest : undefined,
        now,
      };
      return issuedBefore(licenseId, holderIndex, asked, agency, caller, deps, error);
    }
    throw error;
  }
}

/**
 * The license an earlier run of the same issuance wrote, answered as issued; else the refusal.
 * With `asked` (the checked request and its stored document), the earlier license must carry
 * the same data, validity and document, or the request is another one under a reused key; with
 * its `digest` (a serial the issuer chose), the same request key too, or it is another request's
 * license under that serial. Its copy is opened, and its read recorded, only when the answer asks for it.
 */
async function issuedBefore(
  licenseId: string,
  holderIndex: string,
  asked: {
    license: CheckedLicense;
    document: StoredDocument | undefined;
    digest: string | undefined;
    now: Date;
  },
  agency: Agency,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
  refusal: LicenseAlreadyExists,
): Promise<Issuance> {
  const earlier = await deps.licenses.get(licenseId);
  if (earlier === undefined || earlier.holderIndex !== holderIndex) throw refusal;
  // A chosen serial's license met past its key's idempotency record is another request's: the
  // key reused then is a new request, refused the serial it names as one without the key is.
  if (
    asked.digest !== undefined &&
    (earlier.requestDigest !== asked.digest || !withinRerunWindow(earlier.issuedAt, asked.now))
  ) {
    throw refusal;
  }
  if (!(await carries(earlier, asked, deps.cipher))) {
    throw new IssuanceKeyReused(licenseId);
  }
  // Answered as issued only while it still is: one since suspended, revoked or re-issued is no
  // fresh license to hand out as if nothing had happened — refused as a repeat of the request
  // meets it while its idempotency record is kept (issuer-copy.ts).
  if (earlier.status !== 'valid') {
    throw new IssuedLicenseChanged(licenseId, earlier.status, earlier.supersededBy);
  }
  // Valid, yet sealed with a key since withdrawn, it fails verification: handed out as issued,
  // the issuer would take it for a good one. The record read to issue tells, at no extra read.
  const { kid } = decodeJwsHeader(asLicenseContent(earlier.content).issuerJwt);
  const seal = typeof kid === 'string' ? sealKeyWithKid(agency, kid) : undefined;
  if (seal === undefined || seal.withdrawn !== undefined) {
    // Answered as issued only while valid (above): never superseded here.
    throw new LicenseSealWithdrawn(licenseId, String(kid), { issued: { version: earlier.licenseVersion } });
  }
  const { listId, index } = earlier.statusSlot;
  return {
    license: {
      licenseId,
      version: '001',
      status: 'valid',
      statusList: { uri: statusListUri(deps.publicBaseUrl, listId), idx: index },
    },
    copy: async () => {
      // Its every field leaves again: without a way to record that, the re-run is refused instead.
      const { audit } = deps;
      if (audit === undefined) throw refusal;
      return auditedIssuerCopy(earlier, caller, { ...deps, audit });
    },
  };
}

/**
 * Whether a license carries what a request asks for: the same data (as its disclosures hold it),
 * validity and — when the request sends one — layout document. A document absent from the
 * request is no difference: one may have been attached to the license since.
 */
async function carries(
  earlier: LicenseRecord,
  asked: { license: CheckedLicense; document: StoredDocument | undefined },
  cipher: FieldCipher,
): Promise<boolean> {
  const { sdJwt, content } = await openLicenseContent(
    cipher,
    { dataDomain: earlier.dataDomain, licenseId: earlier.id },
    earlier.content,
  );
  const { data, validity } = asked.license;
  return (
    carriesData(sdJwt, data) &&
    content.validity.from === validity.from &&
    content.validity.until === validity.until &&
    (asked.document === undefined || content.document?.sha256 === asked.document.sha256)
  );
}

async function storeDocument(
  document: NonNullable<IssueLicenseRequest['document']>,
  licenseId: string,
  deps: IssueLicenseDeps,
): Promise<StoredDocument & { mediaType: 'application/pdf' | 'application/ofd' }> {
  if (deps.documents === undefined) {
    // A wiring fault, not the caller's: every route that takes a document wires the store.
    throw new Error('issueLicense was given a layout document but no document store');
  }
  const stored = await deps.documents.put({ ...document, owner: licenseDocumentOwner(licenseId) });
  const { mediaType } = stored;
  if (!isLayoutMediaType(mediaType)) {
    await deps.documents.delete(stored.key).catch(() => undefined);
    throw new Error(`the document store accepted ${mediaType}, which is no layout document`);
  }
  return { ...stored, mediaType };
}
