import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { LicenseIsFinal } from './issuer-errors.ts';
import { type IssuanceDeps, type IssuerCaller, issuerAuditEvent, ownLicense } from './license-issuance.ts';

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
  documents: Pick<DocumentStore, 'put' | 'delete'>;
}

/**
 * 版式文件: only the issuing agency, only while the license is valid or suspended; the store
 * checks type, size and content and keeps the bytes under a random key (encrypted); the license
 * then records key and SHA-256 — the binding every later read is checked against — with its
 * audit event, under the optimistic lock. A document whose record write fails is removed again.
 */
export async function attachLicenseDocument(
  request: AttachDocumentRequest,
  caller: IssuerCaller,
  deps: AttachDocumentDeps,
): Promise<AttachedDocument> {
  const license = await attachableLicense(request.licenseId, caller, deps);
  const stored = await deps.documents.put({ bytes: request.bytes, mediaType: request.mediaType });
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
  documents: Pick<DocumentStore, 'presignUpload' | 'completeUpload' | 'delete'>;
}

/**
 * A layout document too large to send through the API (Lambda takes at most 6 MB of request,
 * base64 inside) goes straight to the document store: the agency declares digest, size and type
 * for one of its licenses and receives a presigned PUT, bound to that license version.
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
      owner: uploadOwner(license.id),
    },
    DOCUMENT_UPLOAD_URL_SECONDS,
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
  const stored = await deps.documents.completeUpload(request.upload, request.sha256, uploadOwner(license.id));
  return recordDocument(license, stored, caller, deps);
}

/** The owner an upload is declared for: the license version (whose id names its issuer). */
function uploadOwner(licenseId: string): string {
  return `license:${licenseId}`;
}

async function attachableLicense(
  licenseId: string,
  caller: IssuerCaller,
  deps: { licenses: Pick<LicenseRepository, 'get'> },
): Promise<LicenseRecord> {
  const license = await ownLicense(deps.licenses, caller, licenseId);
  if (license.status === 'revoked' || license.status === 'superseded') {
    throw new LicenseIsFinal(license.id, license.status);
  }
  return license;
}

async function recordDocument(
  license: LicenseRecord,
  stored: StoredDocument,
  caller: IssuerCaller,
  deps: Pick<IssuanceDeps, 'now' | 'newEventId'> & {
    licenses: Pick<LicenseRepository, 'attachDocument'>;
    documents: Pick<DocumentStore, 'delete'>;
  },
): Promise<AttachedDocument> {
  const now = deps.now();
  try {
    await deps.licenses.attachDocument({
      licenseId: license.id,
      expectedVersion: license.version,
      document: stored,
      auditEvent: issuerAuditEvent(
        deps,
        caller,
        'license.document_attached',
        now,
        { licenseId: license.id, typeCode: license.typeCode },
        { sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType },
      ),
    });
  } catch (error) {
    // Unbound bytes are of no use to anyone; the write's own error is what the caller needs.
    await deps.documents.delete(stored.key).catch(() => undefined);
    throw error;
  }
  return {
    licenseId: license.id,
    version: license.licenseVersion,
    document: { sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType },
  };
}
