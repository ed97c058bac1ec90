import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { asLicenseContent } from './license-content.ts';

/**
 * Removes layout-document bytes stored for a license write that certainly did not land (refused
 * by the store, or failed before it was sent: the caller tells) — unbound bytes are of no use to
 * anyone. Bytes the license holds all the same stay (an earlier attempt of the same write that
 * landed, a concurrent completion of the same upload), as do bytes when that cannot be read.
 * After a failure that may still land (a timeout) the caller must not call this: the license may
 * yet point at the bytes, and nothing here could tell. Bytes so kept that no license comes to hold
 * are removed by the daily sweep (sweep-unheld-documents.ts), long after any such write.
 */
export async function removeUnheldDocument(
  licenseId: string,
  document: Pick<StoredDocument, 'key'>,
  deps: { licenses: Pick<LicenseRepository, 'get'>; documents?: Pick<DocumentStore, 'delete'> | undefined },
): Promise<void> {
  let held: boolean;
  try {
    const current = await deps.licenses.get(licenseId);
    held = current !== undefined && asLicenseContent(current.content).document?.key === document.key;
  } catch {
    held = true;
  }
  if (!held) await deps.documents?.delete(document.key).catch(() => undefined);
}
