// Whom a document is written for, as the document store records it with the bytes (in the same
// write): a license's layout document names the license version, whose id names its issuer; an
// application's attachment names the application. Presigned uploads are declared for the same
// owner, so completion can refuse another license's upload, and the sweep of documents nothing
// holds (sweep-unheld-documents.ts) knows which record to ask about any document, however it
// arrived.

const LICENSE_OWNER = 'license:';
const APPLICATION_OWNER = 'application:';

/** The owner recorded with a document written for the license version `licenseId`. */
export function licenseDocumentOwner(licenseId: string): string {
  return `${LICENSE_OWNER}${licenseId}`;
}

/** The license version an owner names; undefined for an owner that names none. */
export function licenseOfDocumentOwner(owner: string): string | undefined {
  return afterPrefix(owner, LICENSE_OWNER);
}

/** The owner recorded with an attachment stored for the application `applicationId`. */
export function applicationDocumentOwner(applicationId: string): string {
  return `${APPLICATION_OWNER}${applicationId}`;
}

/** The application an owner names; undefined for an owner that names none. */
export function applicationOfDocumentOwner(owner: string): string | undefined {
  return afterPrefix(owner, APPLICATION_OWNER);
}

function afterPrefix(owner: string, prefix: string): string | undefined {
  return owner.startsWith(prefix) && owner.length > prefix.length ? owner.slice(prefix.length) : undefined;
}
