import { DocumentNotFound } from '#core/layout-document/errors.ts';
import { ConcurrentModification, writeRefused } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { licenseDocumentOwner } from './document-owner.ts';
import { LicenseIsFinal } from './issuer-errors.ts';
import { asLicenseContent } from './license-content.ts';
import {
  type IssuanceDeps,
  type IssuerCaller,
  issuerAuditEvent,
  ownLicense,
  stillIssuerOf,
} from './license-issuance.ts';
import { removeUnheldDocument } from './unheld-document.ts';

export interface AttachDocumentRequest {
  /** Full identifier of the license version the document shows. */
  licenseId: string;
  bytes: Uint8Array;
  /** Declared media type: `application/pdf` or `application/ofd`. */
  mediaType: string;
}

export interface AttachedDocument {
  licenseId: string;
  version: string;
  document: Pick<StoredDocument, 'sha256' | 'size' | 'mediaType'>;
}

export interface AttachDocumentDeps extends Pick<IssuanceDeps, 'now' | 'newEventId'> {
  licenses: Pick<LicenseRepository, 'get' | 'attachDocument'>;
  config: Pick<IssuanceDeps['config'], 'getLicenseType'>;
  documents: Pick<DocumentStore, 'put' | 'delete'>;
}

/**
 * 版式文件: only the issuing agency while still registered for the type (the document is part of
 * what it issues), only while the license is valid or suspended; the store
 * checks type, size and content and keeps the bytes under a random key (encrypted); the license
 * then records key and SHA-256 — the binding every later read is checked against — with its
 * audit event, under the optimistic lock. A document whose record write the store refuses is
 * removed again.
 */
export async function attachLicenseDocument(
  request: AttachDocumentRequest,
  caller: IssuerCaller,
  deps: AttachDocumentDeps,
): Promise<AttachedDocument> {
  const license = await attachableLicense(request.licenseId, caller, deps);
  const stored = await deps.documents.put({
    bytes: request.bytes,
    mediaType: request.mediaType,
    owner: licenseDocumentOwner(license.id),
  });
  return recordDocument(license, stored, caller, deps);
}

/** How long an upload URL stays valid: 20 MiB over a slow link. */
export const DOCUMENT_UPLOAD_URL_SECONDS = 900;

export interface DocumentUploadRequest {
  licenseId: string;
  /** SHA-256 of the bytes to come, unpadded base64url. */
  sha256: string;
  size: number;
  mediaType: string;
}

/** Where and how to PUT the document; then complete the upload with `upload` and the digest. */
export interface DocumentUpload {
  licenseId: string;
  /** Names the upload when completing it. */
  upload: string;
  url: string;
  method: 'PUT';
  /** Headers the PUT must carry exactly as given; the body must be exactly `size` bytes. */
  headers: Readonly<Record<string, string>>;
  expiresAt: string;
  sha256: string;
  size: number;
  mediaType: string;
}

export interface DocumentUploadDeps extends Pick<IssuanceDeps, 'now' | 'newEventId'> {
  licenses: Pick<LicenseRepository, 'get' | 'attachDocument'>;
  config: Pick<IssuanceDeps['config'], 'getLicenseType'>;
  documents: Pick<DocumentStore, 'presignUpload' | 'completeUpload' | 'delete'>;
  audit: Pick<AuditLogWriter, 'record'>;
}

/**
 * A layout document too large to send through the API (Lambda takes at most 6 MB of request,
 * base64 inside) goes straight to the document store: the agency declares digest, size and type
 * for one of its licenses and receives a presigned PUT, bound to that license version. The URL is
 * a capability — whoever holds it writes into the document store for 15 minutes — so it leaves
 * only once `license.document_upload_begun` is recorded (naming the upload, which its completion's
 * event and the sweep's discard of an upload never completed can be matched against).
 */
export async function beginLicenseDocumentUpload(
  request: DocumentUploadRequest,
  caller: IssuerCaller,
  deps: DocumentUploadDeps,
): Promise<DocumentUpload> {
  const license = await attachableLicense(request.licenseId, caller, deps);
  const pending = await deps.documents.presignUpload(
    {
      sha256: request.sha256,
      size: request.size,
      mediaType: request.mediaType,
      owner: licenseDocumentOwner(license.id),
    },
    DOCUMENT_UPLOAD_URL_SECONDS,
  );
  await deps.audit.record(
    issuerAuditEvent(
      deps,
      caller,
      'license.document_upload_begun',
      deps.now(),
      { licenseId: license.id, typeCode: license.typeCode },
      {
        upload: pending.key,
        sha256: pending.sha256,
        size: pending.size,
        mediaType: pending.mediaType,
        expiresAt: pending.expiresAt.toISOString(),
      },
    ),
  );
  return {
    licenseId: license.id,
    upload: pending.key,
    url: pending.url,
    method: pending.method,
    headers: pending.headers,
    expiresAt: pending.expiresAt.toISOString(),
    sha256: pending.sha256,
    size: pending.size,
    mediaType: pending.mediaType,
  };
}

/**
 * Completes an upload begun for this license: the store re-reads and re-hashes what arrived
 * (any mismatch deletes it), then the license records it exactly as `attachLicenseDocument` does.
 * An upload begun for another license, or by another agency, reads as not found.
 */
export async function completeLicenseDocumentUpload(
  request: { licenseId: string; upload: string; sha256: string },
  caller: IssuerCaller,
  deps: DocumentUploadDeps,
): Promise<AttachedDocument> {
  const license = await attachableLicense(request.licenseId, caller, deps);
  // Completing an upload the license already holds answers as the first completion did, and
  // never reaches the store: a check that failed there would delete the bound bytes.
  const bound = asLicenseContent(license.content).document;
  if (bound?.key === request.upload) {
    if (bound.sha256 !== request.sha256) {
      throw new DocumentNotFound(request.upload, 'the license holds this upload under another digest');
    }
    return attachedDocument(license, bound);
  }
  const stored = await deps.documents.completeUpload(
    request.upload,
    request.sha256,
    licenseDocumentOwner(license.id),
  );
  return recordDocument(license, stored, caller, deps);
}

async function attachableLicense(
  licenseId: string,
  caller: IssuerCaller,
  deps: AttachableDeps,
): Promise<LicenseRecord> {
  const license = await ownLicense(deps.licenses, caller, licenseId);
  await stillIssuerOf(deps.config, caller.agency, license.typeCode);
  if (license.status === 'revoked' || license.status === 'superseded') {
    throw new LicenseIsFinal(license.id, license.status);
  }
  return license;
}

interface AttachableDeps {
  licenses: Pick<LicenseRepository, 'get'>;
  config: Pick<IssuanceDeps['config'], 'getLicenseType'>;
}

/** How often the record write is tried when the license changed meanwhile (a status change, say). */
const ATTACH_ATTEMPTS = 3;

/**
 * Records the stored document in the license with its audit event. A license changed since it
 * was read (hashing 20 MiB takes a while) is read again and, while still attachable, written
 * again. Bytes the license does not hold after the store refused the write are removed, as
 * unbound they are of no use to anyone — but never bytes it does hold (a concurrent completion
 * of the same upload), nor any after a failure that may still land (a timeout: the write may
 * commit a moment later, pointing at them).
 */
async function recordDocument(
  read: LicenseRecord,
  stored: StoredDocument,
  caller: IssuerCaller,
  deps: Pick<IssuanceDeps, 'now' | 'newEventId'> &
    AttachableDeps & {
      licenses: Pick<LicenseRepository, 'get' | 'attachDocument'>;
      documents: Pick<DocumentStore, 'delete'>;
    },
): Promise<AttachedDocument> {
  let license = read;
  // Whether the last write failed without telling whether it landed.
  let unclear = false;
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await deps.licenses.attachDocument({
          licenseId: license.id,
          expectedVersion: license.version,
          document: stored,
          auditEvent: issuerAuditEvent(
            deps,
            caller,
            'license.document_attached',
            deps.now(),
            { licenseId: license.id, typeCode: license.typeCode },
            { sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType },
          ),
        });
        return attachedDocument(license, stored);
      } catch (error) {
        unclear = !writeRefused(error);
        if (!(error instanceof ConcurrentModification) || attempt >= ATTACH_ATTEMPTS) throw error;
        license = await attachableLicense(license.id, caller, deps);
      }
    }
  } catch (error) {
    if (!unclear) await removeUnheldDocument(license.id, stored, deps);
    throw error;
  }
}

function attachedDocument(
  license: LicenseRecord,
  document: Pick<StoredDocument, 'sha256' | 'size' | 'mediaType'>,
): AttachedDocument {
  return {
    licenseId: license.id,
    version: license.licenseVersion,
    document: { sha256: document.sha256, size: document.size, mediaType: document.mediaType },
  };
}
