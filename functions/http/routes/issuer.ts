import type { RouteAuth, RouteSpec } from '../route-spec.ts';
import {
  AttachedLicenseDocumentSchema,
  ChangedLicenseStatusSchema,
  CompleteDocumentUploadRequestSchema,
  DocumentUploadRequestSchema,
  DocumentUploadSchema,
  IssuedLicenseSchema,
  IssueLicenseBatchRequestSchema,
  IssueLicenseBatchResultSchema,
  IssueLicenseRequestSchema,
  ReinstateLicenseRequestSchema,
  ReissuedLicenseSchema,
  ReissueLicenseRequestSchema,
  RevokeLicenseRequestSchema,
  SuspendLicenseRequestSchema,
} from '../schemas/issuer.ts';

// Routes of the issuer group (one Lambda function). Its handler is functions/handlers/issuer.ts.
// Every route is a POST by an issuing agency and, except for beginning a document upload (which
// changes nothing), runs under the idempotency layer: a repeat with the same key and body gets
// the first answer; the same key with another body is 422. What the signature check, the body
// parser and that layer answer is declared from `auth`, the body and `idempotencyKey`
// (common-responses.ts); the descriptions here are each route's own reasons.

const ISSUER: RouteAuth = { kind: 'agency', roles: ['issuer'] };
const IDEMPOTENT = 'Unique per operation; a retry with the same key and body gets the first answer';

const REFUSALS = {
  403: { description: 'The agency is not the issuer (of the type or license)' },
} as const;

const ON_A_LICENSE = {
  ...REFUSALS,
  404: { description: 'No such license version' },
  409: {
    description: 'Not allowed from the current status, or changed by someone else meanwhile; read and retry',
  },
} as const;

/**
 * A status change sent again under its Idempotency-Key after its idempotency record was lost
 * meets its own change (app/change-license-status.ts).
 */
const CHANGED_BEFORE =
  'the same request sent again under its Idempotency-Key after its answer was lost (a 503, a timeout) is answered as it was, from the change it made, which is not made or audited again — whatever the license’s status since';
const CHANGE_KEY_REUSED = {
  422: {
    description:
      'This Idempotency-Key already made this change for another request, another reason (code CHANGE_KEY_REUSED, member `licenseId`), and its record was lost: nothing was written',
  },
} as const;

/** What a designated successor (承继机关) meets that nobody else does: a loop of designations. */
const SUCCESSION_409 =
  'Not allowed from the current status, or changed by someone else meanwhile (read and retry); or, to an agency among the issuer’s successors, the successors designated for the issuer loop, or do not end within 64 designations (code SUCCESSION_UNRESOLVED: the operator must fix them)';

/**
 * Suspend and revoke withdraw a license: its issuer may, even once removed from the type's
 * issuers, and so may the successor the operator designated for the issuer (functions/app/succession.ts).
 */
const WITHDRAWING = {
  ...ON_A_LICENSE,
  403: {
    description:
      'The agency neither issued this license nor is the successor (承继机关) the operator designated for its issuer (the last of a chain of successors). An issuer removed from the type’s issuers may still suspend and revoke the licenses it issued',
  },
  409: { description: SUCCESSION_409 },
} as const;

/** Reinstating, re-issuing and a layout document renew or amend a license: issuing, for a registered issuer only. */
const AMENDING = {
  ...ON_A_LICENSE,
  403: {
    description: 'The agency did not issue this license, or is no longer registered as an issuer of its type',
  },
} as const;

export const issuerRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/licenses',
    group: 'issuer',
    operationId: 'issueLicense',
    summary:
      'Issues one license: checks the data against its type, signs it with the agency seal as SD-JWT VC, stores it with a status-list entry and, when sent, its layout document',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: IssueLicenseRequestSchema,
    responses: {
      201: { description: 'Issued; the issuer’s own signed copy', schema: IssuedLicenseSchema },
      ...REFUSALS,
      400: { description: 'Data its type refuses, or a document that is not what its media type says' },
      409: {
        description:
          'A license with this serial is already issued, by another request (a serial the issuer chose: one not issued under this Idempotency-Key, or to another holder); without a serial, another request (another holder) issued one under this Idempotency-Key. The same request sent again under its key after its answer was lost answers the license it issued, with a serial of its own choosing or without — unless that license is sealed with a key the operator has since withdrawn (code LICENSE_SEAL_WITHDRAWN): it fails verification, and re-issuing it seals a new version with the agency’s current key; the problem names it in members `licenseId`, `version` and `kid` (the seal key), and, when the license was re-issued meanwhile, its current version in `currentLicenseId` and `currentVersion` — the detail then says whether that one needs re-issuing too. Or that license was suspended, revoked or re-issued since (code ISSUED_LICENSE_CHANGED, members `licenseId`, `licenseStatus`, `supersededBy`): the answer given while it was valid is not given again. Or the agency’s seal key was withdrawn while the request was under way (code SEAL_KEY_UNUSABLE): nothing was issued, and the request sent again is signed with the agency’s new key. Or the holder revoked the device key the license was being bound to (cnf), and again the one read after it, while the request was under way (code DEVICE_KEY_CHANGED_MEANWHILE): nothing was issued, and the request sent again binds the key active then',
      },
      415: { description: 'A document neither application/pdf nor application/ofd' },
    },
  },
  {
    method: 'POST',
    path: '/licenses/batch',
    group: 'issuer',
    operationId: 'issueLicenseBatch',
    summary: 'Issues up to 100 licenses, each in its own transaction; every item’s outcome is reported',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: IssueLicenseBatchRequestSchema,
    responses: {
      200: {
        description:
          'Every item’s outcome (201 or a problem), with counts: partial success is explicit. A retry under the same Idempotency-Key reports the same outcomes, but a refused item’s problem only by type, code and the path and code of each bad field: its detail and messages, which may quote the values sent, are in the first answer only. An answer holding an item that may have been issued all the same (503, 500) or was refused with nothing written for a passing reason (STORE_BUSY, SEAL_KEY_UNUSABLE, DEVICE_KEY_CHANGED_MEANWHILE) is not remembered: send the batch again with the same Idempotency-Key and the same body, every item in its place — the refused ones too: an item’s serial follows its position, so an item moved by one left out is another license, issued a second time — and it runs again — an item already issued is answered as issued, never issued twice, one not issued is issued. Such an item sent in a new request instead gets another serial, and may issue its holder a second license',
        schema: IssueLicenseBatchResultSchema,
      },
      ...REFUSALS,
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/suspend',
    group: 'issuer',
    operationId: 'suspendLicense',
    summary:
      'Suspends a valid license (暂停/挂失); its status list entry reads suspended. By its issuer, or the successor designated for a dissolved or merged issuer, whose audit event names whom it acts for (asSuccessorOf)',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: SuspendLicenseRequestSchema,
    responses: {
      200: { description: `Suspended; ${CHANGED_BEFORE}`, schema: ChangedLicenseStatusSchema },
      ...WITHDRAWING,
      ...CHANGE_KEY_REUSED,
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/reinstate',
    group: 'issuer',
    operationId: 'reinstateLicense',
    summary:
      'Reinstates a suspended license (恢复). By its issuer, or the successor designated for a dissolved or merged issuer; either registered as an issuer of the type',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: ReinstateLicenseRequestSchema,
    responses: {
      200: { description: `Valid again; ${CHANGED_BEFORE}`, schema: ChangedLicenseStatusSchema },
      ...AMENDING,
      ...CHANGE_KEY_REUSED,
      403: {
        description:
          'The agency neither issued this license nor is the successor designated for its issuer, or is not registered as an issuer of its type',
      },
      409: { description: SUCCESSION_409 },
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/revoke',
    group: 'issuer',
    operationId: 'revokeLicense',
    summary:
      'Revokes a license for good (吊销/注销); every copy ever handed out fails verification. By its issuer, or the successor designated for a dissolved or merged issuer, whose audit event names whom it acts for (asSuccessorOf)',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: RevokeLicenseRequestSchema,
    responses: {
      200: { description: `Revoked; ${CHANGED_BEFORE}`, schema: ChangedLicenseStatusSchema },
      ...WITHDRAWING,
      ...CHANGE_KEY_REUSED,
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/reissue',
    group: 'issuer',
    operationId: 'reissueLicense',
    summary:
      'Re-issues a license (换发/补发): the next version is signed with new or the same data and validity (the current ones when not sent), this one superseded; the layout document stays with it only when both are unchanged',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: ReissueLicenseRequestSchema,
    responses: {
      201: {
        description:
          'The new version; the old one is superseded. The same request sent again under its Idempotency-Key after its answer was lost (a 503, a timeout) answers the version it made, with its copy read back (audited license.issuer_copy_read), not a second re-issue',
        schema: ReissuedLicenseSchema,
      },
      ...AMENDING,
      400: {
        description:
          'Data, holder or validity its type refuses (code LICENSE_DATA_INVALID, per-field `errors`); or a validity starting after today, China time (error at `validity.from`, code validity-not-started): the re-issue supersedes the current version at once and would leave the holder nothing any verifier accepts until that day — issue a renewal ahead of its term as a new license, or re-issue on its first day (a current version itself not yet in force may be re-issued with a later start). Nothing was written',
      },
      409: {
        description:
          'Not allowed from the current status, or changed by someone else meanwhile (read and retry); or the request, sent again under its Idempotency-Key after its answer was lost, made a version since suspended, revoked or re-issued (code ISSUED_LICENSE_CHANGED, members `licenseId`, `licenseStatus`, `supersededBy`): the answer given while it was valid is not given again; or the agency is the successor designated for the issuer (code SUCCESSOR_CANNOT_REISSUE): a version’s GB/T 36904 identifier names the issuer, so a successor issues a license of its own and revokes this one; or the agency’s seal key was withdrawn while the request was under way (code SEAL_KEY_UNUSABLE): nothing was written, and the request sent again is signed with the agency’s new key; or the request, sent again under its Idempotency-Key, re-issued a version sealed with a key the operator has since withdrawn (code LICENSE_SEAL_WITHDRAWN): it fails verification, and re-issuing it once more seals it with the agency’s current key; the problem names that version in members `licenseId`, `version` and `kid` (the seal key), and, when it was re-issued meanwhile, the current version in `currentLicenseId` and `currentVersion`; or the holder revoked the device key the new version was being bound to (cnf), and again the one read after it, while the request was under way (code DEVICE_KEY_CHANGED_MEANWHILE): nothing was written, and the request sent again binds the key active then',
      },
      422: {
        description:
          'This Idempotency-Key already re-issued this license for another request — other data, holder, validity or reason — and its record was lost (code CHANGE_KEY_REUSED, member `licenseId`: the version it made): nothing was written',
      },
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/document',
    group: 'issuer',
    operationId: 'attachLicenseDocument',
    summary:
      'Attaches the layout document (版式文件): the body is the PDF (application/pdf) or OFD (application/ofd) itself; stored encrypted and bound to the license by its SHA-256. On AWS a request body is at most ≈ 4 MB of document (Lambda takes 6 MB, base64 inside); larger documents, up to 20 MiB, go through /document-uploads',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestMediaTypes: ['application/pdf', 'application/ofd'],
    responses: {
      200: { description: 'Stored and recorded in the license', schema: AttachedLicenseDocumentSchema },
      ...AMENDING,
      400: { description: 'No document in the body, or the bytes are not what the media type says' },
      413: { description: 'Larger than the store accepts' },
      415: { description: 'Neither application/pdf nor application/ofd' },
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/document-uploads',
    group: 'issuer',
    operationId: 'beginLicenseDocumentUpload',
    summary:
      'Begins a direct upload of a layout document of up to 20 MiB: declare its SHA-256, size and type; PUT the bytes to the presigned URL with the headers given; then complete the upload. Changes nothing but the audit log (license.document_upload_begun, recorded before the URL leaves), so it needs no Idempotency-Key: repeat it for a fresh URL',
    auth: ISSUER,
    requestBody: DocumentUploadRequestSchema,
    responses: {
      201: { description: 'Where and how to PUT the document (15 minutes)', schema: DocumentUploadSchema },
      ...AMENDING,
    },
  },
  {
    method: 'POST',
    path: '/licenses/{id}/document-uploads/complete',
    group: 'issuer',
    operationId: 'completeLicenseDocumentUpload',
    summary:
      'Completes an upload begun for this license: the bytes are re-read and re-hashed (a mismatch deletes them), then bound to the license as by /document',
    auth: ISSUER,
    idempotencyKey: IDEMPOTENT,
    requestBody: CompleteDocumentUploadRequestSchema,
    responses: {
      200: { description: 'Stored and recorded in the license', schema: AttachedLicenseDocumentSchema },
      ...AMENDING,
      400: {
        description:
          'The upload does not match its declaration (nothing arrived, another digest, size or type); it is deleted. Or (code DOCUMENT_UPLOAD_EXPIRED) it was begun before yesterday (UTC) and is no longer completed, nothing read or changed: begin a new upload',
      },
      404: { description: 'No such license version, or no upload begun for it under that name' },
    },
  },
];
