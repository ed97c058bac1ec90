// Whom a layout document is written for, as the document store records it with the bytes (in the
// same write): the license version, whose id names its issuer. Presigned uploads are declared for
// the same owner, so completion can refuse another license's upload, and the sweep of documents
// no license holds knows which license to ask about any document, however it arrived.

const LICENSE_OWNER = 'license:';

/** The owner recorded with a document written for the license version `licenseId`. */
export function licenseDocumentOwner(licenseId: string): string {
  return `${LICENSE_OWNER}${licenseId}`;
}

/** The license version an owner names; undefined for an owner that names none. */
export function licenseOfDocumentOwner(owner: string): string | undefined {
  return owner.startsWith(LICENSE_OWNER) && owner.length > LICENSE_OWNER.length
    ? owner.slice(LICENSE_OWNER.length)
    : undefined;
}
