// The document store: where a license's layout document (PDF or OFD) and an application's
// attachments (those, or JPEG and PNG images) live, each bound to its record by the SHA-256 the
// record keeps. Every read is checked against that digest; nothing unverified is handed back.
// Typed failures are in #core/layout-document/errors.ts.

import type { DocumentMediaType } from '#core/layout-document/format.ts';
import type { Page, PageRequest } from './page.ts';

/** A stored document as its license or application records it. */
export interface StoredDocument {
  /** Opaque key; random, says nothing about the license or its holder. */
  readonly key: string;
  /** SHA-256 of the exact bytes, unpadded base64url (43 characters). */
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: DocumentMediaType;
}

/** What a read needs: where the document is and what it must hash to. */
export type DocumentRef = Pick<StoredDocument, 'key' | 'sha256'>;

export interface NewDocument {
  readonly bytes: Uint8Array;
  /** Declared media type, e.g. `application/pdf`; must be accepted by the store and match the bytes. */
  readonly mediaType: string;
  /** The digest the sender declared, if any; the stored bytes must hash to it. */
  readonly sha256?: string;
  /**
   * What the document is for (ASCII: `license:<id>` or `application:<id>`), recorded with it in
   * the same write: the sweep of documents nothing holds reads it to know which record to ask.
   */
  readonly owner?: string;
}

/** A document read back, its bytes verified against the digest. */
export interface RetrievedDocument extends StoredDocument {
  readonly bytes: Uint8Array;
}

export interface PresignedDownload {
  /** GET this URL (no further headers needed) to receive the bytes. */
  readonly url: string;
  readonly expiresAt: Date;
}

/** What an uploader declares before sending the bytes. */
export interface DeclaredUpload {
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: string;
  /**
   * What the upload is for (ASCII, e.g. `license:<id>`), recorded with it: completion names the
   * same owner, or the upload reads as not found to it.
   */
  readonly owner?: string;
}

/**
 * A presigned upload awaiting its bytes. The caller records it (key, digest, size, media
 * type) as pending and later calls `completeUpload(key, sha256)`; until then the document is
 * not bound to any license.
 */
export interface PendingUpload extends StoredDocument {
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the PUT must carry exactly as given (most are signed); the body must be exactly `size` bytes. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

export interface DocumentStore {
  /** Stores a document under a new random key after checking its type, size and content. */
  put(document: NewDocument): Promise<StoredDocument>;
  /** The document's bytes, or DocumentDigestMismatch if they do not hash to `sha256` (or DocumentNotFound). */
  get(document: DocumentRef): Promise<RetrievedDocument>;
  /** A URL an authorised reader can GET the bytes from directly, valid for `expiresInSeconds` (bounded by the store). */
  presignDownload(
    document: Pick<StoredDocument, 'key' | 'mediaType'>,
    expiresInSeconds: number,
  ): Promise<PresignedDownload>;
  /** A URL to PUT a large document to, for a declared digest, size and media type. */
  presignUpload(declared: DeclaredUpload, expiresInSeconds: number): Promise<PendingUpload>;
  /**
   * Checks what was uploaded under `key` against `expectedSha256` and the declaration, and
   * returns the stored document; on any mismatch deletes the object and throws DocumentUploadRejected.
   * With `expectedOwner`, an upload declared for another owner (or none) is DocumentNotFound,
   * and is left alone. An upload begun before yesterday (UTC) is DocumentUploadExpired, unread
   * and left alone (the sweep of documents nothing holds may be deciding it).
   */
  completeUpload(key: string, expectedSha256: string, expectedOwner?: string): Promise<StoredDocument>;
  /** Removes the document; deleting a missing one succeeds. */
  delete(key: string): Promise<void>;
}

/** A document as the listing of one day's keys names it. */
export interface ListedDocument {
  readonly key: string;
  readonly size: number;
}

/** What the store recorded with a document when it was written, read without its bytes. */
export interface DocumentRecord {
  /** The owner declared at write (`license:<id>`, `application:<id>`); absent when none was, or it is unreadable. */
  readonly owner?: string;
  /** SHA-256 recorded at write, unpadded base64url; absent when none (or no well-formed one) was. */
  readonly sha256?: string;
  readonly size: number;
}

/**
 * What the sweep of documents nothing holds needs: the keys made on one day, what was
 * recorded with each, and removal. Documents under keys made before keys carried their day are
 * never listed.
 */
export interface DocumentSweepStore {
  /** Documents whose key was made on `day` (UTC, `yyyy-mm-dd`), in key order, a page at a time. */
  listWrittenOn(day: string, page?: PageRequest): Promise<Page<ListedDocument>>;
  /** What was recorded with the document, its bytes unread; undefined when there is none. */
  describe(key: string): Promise<DocumentRecord | undefined>;
  /** Removes the document; deleting a missing one succeeds. */
  delete(key: string): Promise<void>;
}
