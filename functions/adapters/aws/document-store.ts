// DocumentStore on S3 (AWS SDK v3). Every object is SSE-KMS under the configured key with an
// S3 Bucket Key, sent with its SHA-256 as ChecksumSHA256 so S3 itself rejects bytes damaged in
// transit, and written with If-None-Match: * so no key is ever overwritten through the store.
//
// Reads never trust S3's stored checksum: the bytes are hashed here and compared with the
// digest the license records, because that digest is the binding and S3's checksum is only
// what the writer claimed (moto, for one, records the claimed value without checking it).
// completeUpload hashes the uploaded bytes for the same reason: one GET of at most 20 MiB
// buys a check that holds on every S3-compatible store. With the SDK's default
// responseChecksumValidation (WHEN_SUPPORTED) GetObject also checks the bytes against the
// checksum S3 returns, and fails the body stream if they differ; that failure is read as a
// mismatch too (on moto it is how an upload that lied about its checksum shows up).
//
// Presigned uploads carry their declaration (digest, size, media type) in signed metadata
// and a `elicense-upload=pending` tag that completeUpload removes; a lifecycle rule on that
// tag expires uploads that were never completed.
//
// Keys carry the UTC day they were made (document-key.ts) and objects the owner they were
// written for (`license:<id>`, in the same PutObject as the bytes): the sweep of documents no
// license holds lists one day by prefix and reads each owner with a HeadObject, which needs no
// KMS permission, so the sweeper never can read a document's bytes.

import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  checkDocumentDigest,
  digestToS3Checksum,
  documentDigest,
  isDocumentDigest,
} from '#core/layout-document/digest.ts';
import {
  DocumentContentMismatch,
  DocumentDigestMismatch,
  DocumentNotFound,
  DocumentUploadExpired,
  DocumentUploadRejected,
  PresignExpiryOutOfRange,
  type UploadRejection,
} from '#core/layout-document/errors.ts';
import {
  canonicalMediaType,
  checkDocumentContent,
  checkDocumentSize,
  DEFAULT_ACCEPTED_MEDIA_TYPES,
  DOCUMENT_MEDIA_TYPES,
  type DocumentFormat,
  documentFormatOf,
  MAX_LAYOUT_DOCUMENT_BYTES,
  sniffDocumentFormat,
} from '#core/layout-document/format.ts';
import type {
  DeclaredUpload,
  DocumentRecord,
  DocumentRef,
  DocumentStore,
  DocumentSweepStore,
  ListedDocument,
  NewDocument,
  PendingUpload,
  PresignedDownload,
  RetrievedDocument,
  StoredDocument,
} from '#ports/document-store.ts';
import type { Page, PageRequest } from '#ports/page.ts';
import { documentDayPrefix, documentKeyDay, isDocumentKey, newDocumentKey, utcDay } from './document-key.ts';

export interface S3DocumentStoreConfig {
  bucket: string;
  /** KMS key (id, ARN or alias ARN) every object is encrypted under. */
  kmsKeyId: string;
  /** Declared media types accepted (see DOCUMENT_MEDIA_TYPES); default `application/pdf`, `application/ofd`. */
  acceptedMediaTypes?: readonly string[];
  /** Default 20 MiB. */
  maxBytes?: number;
  /** Longest a download URL may live; default 300 s. */
  maxDownloadUrlSeconds?: number;
  /** Longest an upload URL may live; default 900 s (20 MiB over a slow link). */
  maxUploadUrlSeconds?: number;
  /** Signing time of presigned URLs and the day new keys carry; default the system clock. */
  now?: () => Date;
}

/** Tag on an object uploaded through a presigned URL until completeUpload has verified it. */
export const PENDING_UPLOAD_TAG = { key: 'elicense-upload', value: 'pending' } as const;

/** The file name extension a download is offered under, per format. */
const FILE_EXTENSIONS: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'pdf',
  ofd: 'ofd',
  jpeg: 'jpg',
  png: 'png',
};

/** User metadata (x-amz-meta-*) the store writes on every object. */
const META = { sha256: 'sha256', size: 'size', mediaType: 'media-type', owner: 'owner' } as const;

type Body =
  | { kind: 'read'; bytes: Uint8Array }
  | { kind: 'oversized'; size: number }
  /** The SDK found the bytes differ from the checksum S3 returned with them. */
  | { kind: 'checksum-failed'; detail: string };

const DAY_MS = 24 * 3_600_000;

/** Most keys one listing page holds: S3's own ceiling per ListObjectsV2. */
const MAX_LIST_KEYS = 1_000;

export class S3DocumentStore implements DocumentStore, DocumentSweepStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #kmsKeyId: string;
  readonly #accepted: readonly string[];
  readonly #maxBytes: number;
  readonly #maxDownloadSeconds: number;
  readonly #maxUploadSeconds: number;
  readonly #now: () => Date;

  constructor(s3: S3Client, config: S3DocumentStoreConfig) {
    this.#s3 = s3;
    this.#bucket = config.bucket;
    this.#kmsKeyId = config.kmsKeyId;
    this.#accepted = config.acceptedMediaTypes ?? DEFAULT_ACCEPTED_MEDIA_TYPES;
    const unknown = this.#accepted.filter((type) => DOCUMENT_MEDIA_TYPES[type] === undefined);
    if (unknown.length > 0) {
      throw new Error(
        `acceptedMediaTypes must be among ${Object.keys(DOCUMENT_MEDIA_TYPES).join(', ')}; found ${unknown.join(', ')}`,
      );
    }
    this.#maxBytes = config.maxBytes ?? MAX_LAYOUT_DOCUMENT_BYTES;
    this.#maxDownloadSeconds = config.maxDownloadUrlSeconds ?? 300;
    this.#maxUploadSeconds = config.maxUploadUrlSeconds ?? 900;
    this.#now = config.now ?? (() => new Date());
  }

  async put(document: NewDocument): Promise<StoredDocument> {
    if (document.sha256 !== undefined) checkDocumentDigest(document.sha256);
    const format = documentFormatOf(document.mediaType, this.#accepted);
    checkDocumentSize(document.bytes.byteLength, this.#maxBytes);
    checkDocumentContent(format, document.bytes);
    const sha256 = documentDigest(document.bytes);
    if (document.sha256 !== undefined && document.sha256 !== sha256) {
      throw new DocumentUploadRejected('(not stored)', 'digest', document.sha256, sha256);
    }
    checkOwner(document.owner);
    const stored: StoredDocument = {
      key: newDocumentKey(this.#now()),
      sha256,
      size: document.bytes.byteLength,
      mediaType: canonicalMediaType(format),
    };
    await this.#s3.send(
      new PutObjectCommand({ ...this.#putInput(stored, document.owner), Body: document.bytes }),
    );
    return stored;
  }

  async get(document: DocumentRef): Promise<RetrievedDocument> {
    this.#checkKey(document.key);
    checkDocumentDigest(document.sha256);
    const object = await this.#open(document.key);
    if (object === undefined) throw new DocumentNotFound(document.key);
    const body = await this.#read(object);
    if (body.kind === 'oversized') {
      throw new DocumentDigestMismatch(
        document.key,
        document.sha256,
        `an object of ${body.size} bytes, larger than any document (not read)`,
      );
    }
    if (body.kind === 'checksum-failed') {
      throw new DocumentDigestMismatch(
        document.key,
        document.sha256,
        `bytes failing S3's checksum: ${body.detail}`,
      );
    }
    const found = documentDigest(body.bytes);
    if (found !== document.sha256) throw new DocumentDigestMismatch(document.key, document.sha256, found);
    // The bytes are the ones the license binds, so their own content names their format; the
    // metadata is only a fallback for a document stored under older content rules.
    const format = sniffDocumentFormat(body.bytes) ?? storedFormat(object.Metadata ?? {});
    if (format === undefined) {
      throw new DocumentContentMismatch('PDF or OFD', 'content of neither kind and no recorded media type');
    }
    return {
      key: document.key,
      sha256: found,
      size: body.bytes.byteLength,
      mediaType: canonicalMediaType(format),
      bytes: body.bytes,
    };
  }

  async presignDownload(
    document: Pick<StoredDocument, 'key' | 'mediaType'>,
    expiresInSeconds: number,
  ): Promise<PresignedDownload> {
    this.#checkKey(document.key);
    checkExpiry(expiresInSeconds, this.#maxDownloadSeconds);
    const format = documentFormatOf(document.mediaType, Object.keys(DOCUMENT_MEDIA_TYPES));
    const signingDate = this.#now();
    const url = await getSignedUrl(
      this.#s3,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: document.key,
        ResponseContentType: canonicalMediaType(format),
        ResponseContentDisposition: `attachment; filename="document.${FILE_EXTENSIONS[format]}"`,
        ResponseCacheControl: 'private, no-store',
      }),
      { expiresIn: expiresInSeconds, signingDate },
    );
    return { url, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000) };
  }

  async presignUpload(declared: DeclaredUpload, expiresInSeconds: number): Promise<PendingUpload> {
    checkDocumentDigest(declared.sha256);
    const format = documentFormatOf(declared.mediaType, this.#accepted);
    if (!Number.isSafeInteger(declared.size) || declared.size < 1) {
      throw new RangeError(
        `declared document size must be a positive whole number of bytes; found ${declared.size}`,
      );
    }
    checkDocumentSize(declared.size, this.#maxBytes);
    checkExpiry(expiresInSeconds, this.#maxUploadSeconds);
    checkOwner(declared.owner);
    const signingDate = this.#now();
    const stored: StoredDocument = {
      key: newDocumentKey(signingDate),
      sha256: declared.sha256,
      size: declared.size,
      mediaType: canonicalMediaType(format),
    };
    const tagging = `${PENDING_UPLOAD_TAG.key}=${PENDING_UPLOAD_TAG.value}`;
    const headers: Record<string, string> = {
      'content-type': stored.mediaType,
      'if-none-match': '*',
      'x-amz-checksum-sha256': digestToS3Checksum(stored.sha256),
      // Without it moto does not record the checksum at all; S3 accepts it alongside the checksum.
      'x-amz-sdk-checksum-algorithm': 'SHA256',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': this.#kmsKeyId,
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      'x-amz-tagging': tagging,
    };
    const url = await getSignedUrl(
      this.#s3,
      new PutObjectCommand({ ...this.#putInput(stored, declared.owner), Tagging: tagging }),
      {
        expiresIn: expiresInSeconds,
        signingDate,
        // Signed as headers, so the uploader must send exactly these values; the metadata
        // (the declaration) stays hoisted into the signed query string, out of the uploader's hands.
        unhoistableHeaders: new Set([
          'x-amz-checksum-sha256',
          'x-amz-sdk-checksum-algorithm',
          'x-amz-tagging',
        ]),
      },
    );
    return {
      ...stored,
      url,
      method: 'PUT',
      headers,
      expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000),
    };
  }

  async completeUpload(key: string, expectedSha256: string, expectedOwner?: string): Promise<StoredDocument> {
    this.#checkKey(key);
    checkDocumentDigest(expectedSha256);
    // The sweep of documents nothing holds takes a day's keys from 48 h after the day's end and
    // may then delete any one no license holds: a completion binding such a key could race its
    // delete. Completing only on the key's day or the next keeps every binding a full day clear of
    // the sweep (the URL lives 15 minutes, so no honest completion is later). Undated keys predate
    // presigned keys carrying their day and are never swept.
    const day = documentKeyDay(key);
    const earliest = utcDay(new Date(this.#now().getTime() - DAY_MS));
    if (day !== undefined && day < earliest) throw new DocumentUploadExpired(key, day, earliest);
    const object = await this.#open(key);
    if (object === undefined) {
      throw new DocumentUploadRejected(key, 'not-uploaded', `an object of SHA-256 ${expectedSha256}`, 'none');
    }
    // The declaration and the length arrive with the response headers: judged before any byte is read.
    const metadata = object.Metadata ?? {};
    if (expectedOwner !== undefined && metadata[META.owner] !== expectedOwner) {
      // Another's upload (or a document) is none of this caller's business: untouched, not found.
      discard(object);
      throw new DocumentNotFound(key, `no upload for ${expectedOwner}`);
    }
    const declaredSha256 = metadata[META.sha256];
    const declaredSize = Number(metadata[META.size]);
    const declaredType = metadata[META.mediaType];
    const declaredFormat = declaredType === undefined ? undefined : DOCUMENT_MEDIA_TYPES[declaredType];
    const rejectUnread = (reason: UploadRejection, expected: string, found: string): Promise<never> => {
      discard(object);
      return this.#reject(key, reason, expected, found);
    };
    if (declaredSha256 === undefined || declaredFormat === undefined || !Number.isSafeInteger(declaredSize)) {
      return rejectUnread('undeclared', 'an upload declared through presignUpload', 'no declaration');
    }
    if (declaredSha256 !== expectedSha256) {
      return rejectUnread('digest', `declared SHA-256 ${expectedSha256}`, `declared ${declaredSha256}`);
    }
    if (object.ContentLength !== undefined && object.ContentLength !== declaredSize) {
      return rejectUnread('size', `${declaredSize} bytes`, `${object.ContentLength} bytes`);
    }
    const body = await this.#read(object);
    if (body.kind === 'oversized') {
      return this.#reject(key, 'size', `at most ${this.#maxBytes} bytes`, `${body.size} bytes`);
    }
    if (body.kind === 'checksum-failed') {
      return this.#reject(
        key,
        'digest',
        `SHA-256 ${expectedSha256}`,
        `bytes failing S3's checksum: ${body.detail}`,
      );
    }
    if (body.bytes.byteLength !== declaredSize) {
      return this.#reject(key, 'size', `${declaredSize} bytes`, `${body.bytes.byteLength} bytes`);
    }
    const found = documentDigest(body.bytes);
    if (found !== expectedSha256) return this.#reject(key, 'digest', `SHA-256 ${expectedSha256}`, found);
    try {
      checkDocumentContent(declaredFormat, body.bytes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.#reject(key, 'content', canonicalMediaType(declaredFormat), message);
    }
    await this.#clearPendingTag(key);
    return { key, sha256: found, size: declaredSize, mediaType: canonicalMediaType(declaredFormat) };
  }

  async delete(key: string): Promise<void> {
    this.#checkKey(key);
    await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  async listWrittenOn(day: string, page: PageRequest = {}): Promise<Page<ListedDocument>> {
    const limit = page.limit ?? MAX_LIST_KEYS;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_KEYS) {
      throw new RangeError(`expected a page limit of 1–${MAX_LIST_KEYS}, found ${limit}`);
    }
    const listed = await this.#s3.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: documentDayPrefix(day),
        MaxKeys: limit,
        ...(page.cursor === undefined ? {} : { ContinuationToken: page.cursor }),
      }),
    );
    // Anything else under the prefix was not written by this store: never handed to a sweep.
    const items = (listed.Contents ?? [])
      .filter((object) => object.Key !== undefined && isDocumentKey(object.Key))
      .map((object) => ({ key: object.Key!, size: object.Size ?? 0 }));
    const cursor = listed.IsTruncated ? listed.NextContinuationToken : undefined;
    return cursor === undefined ? { items } : { items, cursor };
  }

  async describe(key: string): Promise<DocumentRecord | undefined> {
    this.#checkKey(key);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const metadata = head.Metadata ?? {};
    const owner = metadata[META.owner];
    const sha256 = metadata[META.sha256];
    return {
      ...(owner !== undefined && isOwner(owner) ? { owner } : {}),
      ...(sha256 !== undefined && isDocumentDigest(sha256) ? { sha256 } : {}),
      size: head.ContentLength ?? 0,
    };
  }

  /** PutObject fields shared by put and presignUpload; `owner` goes into the metadata when given. */
  #putInput(stored: StoredDocument, owner?: string) {
    return {
      Bucket: this.#bucket,
      Key: stored.key,
      ContentLength: stored.size,
      ContentType: stored.mediaType,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: digestToS3Checksum(stored.sha256),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: this.#kmsKeyId,
      BucketKeyEnabled: true,
      IfNoneMatch: '*',
      Metadata: {
        [META.sha256]: stored.sha256,
        [META.size]: String(stored.size),
        [META.mediaType]: stored.mediaType,
        ...(owner === undefined ? {} : { [META.owner]: owner }),
      },
    } as const;
  }

  /** The object's response (headers read, body not yet), or undefined when there is none. */
  async #open(key: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The body's bytes, unless it is larger than any document may be (then it is not read). */
  async #read(object: GetObjectCommandOutput): Promise<Body> {
    const declaredLength = object.ContentLength ?? 0;
    if (declaredLength > this.#maxBytes) {
      discard(object);
      return { kind: 'oversized', size: declaredLength };
    }
    let bytes: Uint8Array;
    try {
      bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      // @aws-sdk's flexible-checksums ChecksumStream fails with a plain Error; its message is
      // the only mark. Anything else (a reset connection) is rethrown as it is.
      if (error instanceof Error && error.message.startsWith('Checksum mismatch')) {
        return { kind: 'checksum-failed', detail: error.message };
      }
      throw error;
    }
    if (bytes.byteLength > this.#maxBytes) return { kind: 'oversized', size: bytes.byteLength };
    return { kind: 'read', bytes };
  }

  /** Removes the pending tag, so the lifecycle rule no longer expires the object. */
  async #clearPendingTag(key: string): Promise<void> {
    try {
      await this.#s3.send(new DeleteObjectTaggingCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      // s3rver (the local platform's S3) implements no object tagging, and so no lifecycle
      // rule that could expire the object either; the upload is verified, so go on.
      if (!(error instanceof Error && error.name === 'NotImplemented')) throw error;
    }
  }

  async #reject(key: string, reason: UploadRejection, expected: string, found: string): Promise<never> {
    await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    throw new DocumentUploadRejected(key, reason, expected, found);
  }

  #checkKey(key: string): void {
    if (!isDocumentKey(key)) throw new DocumentNotFound(key, 'not a document key');
  }
}

function checkExpiry(seconds: number, max: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > max) {
    throw new PresignExpiryOutOfRange(seconds, max);
  }
}

/** Drops an unread body, so the rest of an oversized object is never downloaded. */
function discard(object: GetObjectCommandOutput): void {
  if (object.Body instanceof Readable) object.Body.destroy();
}

function isMissing(error: unknown): boolean {
  // GetObject answers NoSuchKey; HeadObject, which has no body to say so, a bare 404 NotFound.
  return (
    error instanceof NoSuchKey ||
    (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
  );
}

/** Metadata travels in HTTP headers: an owner is printable ASCII, bounded. */
function isOwner(owner: string): boolean {
  return /^[\x21-\x7e]{1,512}$/.test(owner);
}

function checkOwner(owner: string | undefined): void {
  if (owner !== undefined && !isOwner(owner)) {
    throw new RangeError('a document owner must be 1–512 printable ASCII characters');
  }
}

function storedFormat(metadata: Record<string, string>): DocumentFormat | undefined {
  const type = metadata[META.mediaType];
  return type === undefined ? undefined : DOCUMENT_MEDIA_TYPES[type];
}
