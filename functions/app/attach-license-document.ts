import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
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
  const license = await ownLicense(deps.licenses, caller, request.licenseId);
  if (license.status === 'revoked' || license.status === 'superseded') {
    throw new LicenseIsFinal(license.id, license.status);
  }
  const stored = await deps.documents.put({ bytes: request.bytes, mediaType: request.mediaType });
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
