// In-memory fakes of the ports the issuer use cases depend on: no I/O. They keep the contracts
// the use cases rely on — all-or-nothing writes, the optimistic lock, slots never handed out
// twice, sealed content that opens only for its own binding.

import { createHash, createHmac } from 'node:crypto';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import type { IssuanceDeps } from '#app/license-issuance.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency } from '#core/catalog/agency.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { DocumentNotFound, DocumentUploadRejected } from '#core/layout-document/errors.ts';
import {
  canonicalMediaType,
  checkDocumentContent,
  DEFAULT_ACCEPTED_MEDIA_TYPES,
  documentFormatOf,
} from '#core/layout-document/format.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import { keptHistory, statusListValue } from '#core/lifecycle.ts';
import {
  ConcurrentModification,
  DeviceKeyChangedMeanwhile,
  LicenseAlreadyExists,
  LicenseNotFound,
} from '#core/storage-errors.ts';
import { DEMO_AGENCIES, DEMO_LICENSE_TYPES } from '#dev/demo/catalog.ts';
import type {
  DeclaredUpload,
  DocumentStore,
  NewDocument,
  PendingUpload,
  StoredDocument,
} from '#ports/document-store.ts';
import type { FieldBinding, FieldCipher, LicenseFields } from '#ports/field-cipher.ts';
import type {
  BoundDeviceKey,
  DocumentAttachWrite,
  LicenseRecord,
  LicenseRepository,
  NewLicense,
  ReissueWrite,
  StatusChangeWrite,
  StatusSlot,
} from '#ports/license-repository.ts';
import type { SigningKey, SigningKeys } from '#ports/signer.ts';

export const BASE_URL = 'https://api.elicense.test';

type Repo = Pick<LicenseRepository, 'issue' | 'get' | 'changeStatus' | 'reissue' | 'attachDocument'>;

/** A license repository in memory: every write all or nothing, under the optimistic lock. */
export class MemoryLicenses implements Repo {
  readonly records = new Map<string, LicenseRecord>();
  readonly audit: AuditEvent[] = [];
  /** Status-list entries: `<listId>#<index>` → value. */
  readonly slots = new Map<string, { licenseId: string; value: number }>();
  /** Thrown by the next write instead of writing, once. */
  failNextWrite: Error | undefined;
  /** Runs before the next issue is applied, once (a rival writer). */
  beforeNextIssue: (() => Promise<void>) | undefined;
  /** Marks the application an approval's license is issued for, or throws (the applications store's part of the write). */
  markApproval: ((applicationId: string, licenseId: string) => () => void) | undefined;
  /** Runs before the next re-issue is applied, once (a rival writer). */
  beforeNextReissue: (() => Promise<void>) | undefined;
  /** Whether a device key is still active: the holders store's part of a bound license's write. */
  deviceKeyActive: ((key: BoundDeviceKey) => boolean) | undefined;

  async issue(
    license: NewLicense,
    auditEvent: AuditEvent,
    options: { approving?: string | undefined; deviceKey?: BoundDeviceKey | undefined } = {},
  ): Promise<LicenseRecord> {
    const rival = this.beforeNextIssue;
    this.beforeNextIssue = undefined;
    await rival?.();
    this.#failIfAsked();
    if (this.records.has(license.id)) throw new LicenseAlreadyExists(license.id);
    this.#keyStillActive(options.deviceKey);
    if (options.approving !== undefined) {
      if (this.markApproval === undefined) throw new Error('no applications store to mark an approval in');
      // Checked before anything is written, applied with the rest: all or nothing.
      this.markApproval(options.approving, license.id)();
    }
    const record = recordOf(license);
    this.records.set(license.id, record);
    this.slots.set(slotKey(license.statusSlot), { licenseId: license.id, value: 0 });
    this.audit.push(auditEvent);
    return structuredClone(record);
  }

  async get(licenseId: string): Promise<LicenseRecord | undefined> {
    const record = this.records.get(licenseId);
    return record && structuredClone(record);
  }

  async getCurrent(licenseKey: string): Promise<LicenseRecord | undefined> {
    const versions = [...this.records.values()].filter((r) => r.licenseKey === licenseKey);
    const current = versions.sort((a, b) => a.licenseVersion.localeCompare(b.licenseVersion)).at(-1);
    return current && structuredClone(current);
  }

  async changeStatus(write: StatusChangeWrite): Promise<{ version: number }> {
    this.#failIfAsked();
    const record = this.#locked(write.licenseId, write.expectedVersion);
    record.status = write.change.to;
    // As the store does: the history the caller read, with the change, the last ones kept.
    record.history = keptHistory(write.history, write.change);
    record.version += 1;
    this.slots.set(slotKey(write.statusSlot), {
      licenseId: record.id,
      value: statusListValue(write.change.to),
    });
    this.audit.push(write.auditEvent);
    return { version: record.version };
  }

  async reissue(write: ReissueWrite): Promise<{ superseded: { version: number }; current: LicenseRecord }> {
    const rival = this.beforeNextReissue;
    this.beforeNextReissue = undefined;
    await rival?.();
    this.#failIfAsked();
    if (this.records.has(write.next.id)) throw new LicenseAlreadyExists(write.next.id);
    const old = this.#locked(write.current.id, write.current.version);
    this.#keyStillActive(write.deviceKey);
    old.status = 'superseded';
    old.supersededBy = write.next.id;
    old.history = keptHistory(write.current.history, write.change);
    old.version += 1;
    this.slots.set(slotKey(old.statusSlot), { licenseId: old.id, value: statusListValue('superseded') });
    const next = recordOf(write.next);
    this.records.set(next.id, next);
    this.slots.set(slotKey(next.statusSlot), { licenseId: next.id, value: 0 });
    this.audit.push(write.auditEvent);
    return { superseded: { version: old.version }, current: structuredClone(next) };
  }

  async attachDocument(write: DocumentAttachWrite): Promise<{ version: number }> {
    this.#failIfAsked();
    const record = this.#locked(write.licenseId, write.expectedVersion);
    record.content = { ...record.content, document: { ...write.document } };
    record.version += 1;
    this.audit.push(write.auditEvent);
    return { version: record.version };
  }

  slotValue(slot: StatusSlot): number | undefined {
    return this.slots.get(slotKey(slot))?.value;
  }

  #locked(licenseId: string, expectedVersion: number): LicenseRecord {
    const record = this.records.get(licenseId);
    if (record === undefined) throw new LicenseNotFound(licenseId);
    if (record.version !== expectedVersion) {
      throw new ConcurrentModification(`license ${licenseId}`, expectedVersion, record.version);
    }
    return record;
  }

  /** Checked before anything is written, as the store's transaction does. */
  #keyStillActive(key: BoundDeviceKey | undefined): void {
    if (key === undefined) return;
    if (this.deviceKeyActive === undefined) throw new Error('no holders store to check a device key in');
    if (!this.deviceKeyActive(key)) throw new DeviceKeyChangedMeanwhile(key.keyId);
  }

  #failIfAsked(): void {
    const failure = this.failNextWrite;
    this.failNextWrite = undefined;
    if (failure) throw failure;
  }
}

const slotKey = (slot: StatusSlot) => `${slot.listId}#${slot.index}`;

function recordOf(license: NewLicense): LicenseRecord {
  const parsed = parseLicenseId(license.id);
  if (!parsed.valid) throw new Error(parsed.reason);
  const { typeCode, issuerCode, version } = parsed.parts;
  return structuredClone({
    ...license,
    licenseKey: licenseKeyOf(license.id),
    typeCode,
    issuerCode,
    licenseVersion: version,
    dataDomain: DEMO_LICENSE_TYPES.find((t) => t.code === typeCode)?.dataDomain ?? 'person',
    status: 'valid',
    history: [],
    version: 1,
  });
}

/** Slots drawn in order per list shard (one list per issuer and type here); never the same twice. */
export class MemoryStatusLists {
  readonly drawn: StatusSlot[] = [];
  #next = new Map<string, number>();

  async allocateSlot(issuerCode: string, typeCode: string, _licenseKey: string): Promise<StatusSlot> {
    const listId = `${issuerCode}-${typeCode}-0-0`;
    const index = this.#next.get(listId) ?? 0;
    this.#next.set(listId, index + 1);
    const slot = { listId, index };
    this.drawn.push(slot);
    return slot;
  }
}

/** Seals fields as JSON tagged with their binding: opens only for the same table and license. */
export const bindingCipher: FieldCipher = {
  async encryptFields(binding: FieldBinding, fields: LicenseFields) {
    return new TextEncoder().encode(JSON.stringify({ binding, fields }));
  },
  async decryptFields(binding: FieldBinding, sealed: Uint8Array) {
    const { binding: stored, fields } = JSON.parse(new TextDecoder().decode(sealed)) as {
      binding: FieldBinding;
      fields: LicenseFields;
    };
    if (stored.table !== binding.table || stored.licenseId !== binding.licenseId) {
      throw new Error('FieldDecryptionFailed: sealed for another binding');
    }
    return fields;
  },
};

/** The demo catalog, with each issuer's seal kid set to its test key's kid (as the seed does). */
export class DemoCatalog {
  readonly seals = new Map<string, SoftwareEs256Signer>();
  readonly agencies: Agency[];
  types: LicenseType[] = DEMO_LICENSE_TYPES;
  readonly reads = { agency: 0, type: 0 };

  constructor() {
    this.agencies = DEMO_AGENCIES.map((agency) => {
      if (!agency.sealKey) return agency;
      const signer = new SoftwareEs256Signer(`seal-${agency.uscc}`);
      this.seals.set(agency.sealKey.keyRef, signer);
      return { ...agency, sealKey: { keyRef: agency.sealKey.keyRef, kid: signer.kid } };
    });
  }

  /** The operator removes the agency from the type's issuers. */
  removeIssuer(typeCode: string, uscc: string): void {
    this.types = this.types.map((t) =>
      t.code === typeCode ? { ...t, issuers: t.issuers.filter((issuer) => issuer !== uscc) } : t,
    );
  }

  readonly config: IssuanceDeps['config'] = {
    getAgency: async (uscc) => {
      this.reads.agency += 1;
      const value = this.agencies.find((a) => a.uscc === uscc);
      return value && { value, version: 1 };
    },
    getLicenseType: async (code) => {
      this.reads.type += 1;
      const value = this.types.find((t) => t.code === code);
      return value && { value, version: 1 };
    },
  };

  readonly keys: Pick<SigningKeys, 'keyFor'> = {
    keyFor: async (keyRef): Promise<SigningKey> => {
      const signer = this.seals.get(keyRef);
      if (!signer) throw new Error(`no key ${keyRef}`);
      return { keyRef, signer, publicJwk: signer.publicJwk };
    },
  };
}

export const hmacIndexer = {
  async tokenFor(codeType: string, code: string) {
    return createHmac('sha256', 'unit-test').update(`${codeType}:${code}`).digest('base64url');
  },
};

/** Documents in memory under sequential keys; uploads arrive when `arrive` says so. */
export class MemoryDocuments
  implements Pick<DocumentStore, 'put' | 'delete' | 'presignUpload' | 'completeUpload'>
{
  readonly stored = new Map<string, NewDocument>();
  /** Uploads begun, by key: what was declared for whom. */
  readonly uploads = new Map<string, DeclaredUpload>();
  #n = 0;

  async presignUpload(declared: DeclaredUpload, expiresInSeconds: number): Promise<PendingUpload> {
    this.#n += 1;
    const key = `upload-${this.#n}`;
    this.uploads.set(key, declared);
    return {
      key,
      sha256: declared.sha256,
      size: declared.size,
      mediaType: 'application/pdf',
      url: `memory://${key}`,
      method: 'PUT',
      headers: {},
      expiresAt: new Date(Date.parse('2025-06-01T02:00:00.000Z') + expiresInSeconds * 1000),
    };
  }

  /** The bytes of an upload reach the store (the PUT). */
  arrive(key: string, bytes: Uint8Array): void {
    this.stored.set(key, { bytes, mediaType: this.uploads.get(key)!.mediaType });
  }

  async completeUpload(key: string, sha256: string, owner?: string): Promise<StoredDocument> {
    const declared = this.uploads.get(key);
    if (declared === undefined || declared.owner !== owner) throw new DocumentNotFound(key);
    const bytes = this.stored.get(key)?.bytes;
    if (bytes === undefined) throw new DocumentUploadRejected(key, 'not-uploaded', sha256, 'none');
    return { key, sha256, size: bytes.byteLength, mediaType: 'application/pdf' };
  }

  /** Checks type and content as the real store does (the size limit is the real store's alone). */
  async put(document: NewDocument): Promise<StoredDocument> {
    const format = documentFormatOf(document.mediaType, DEFAULT_ACCEPTED_MEDIA_TYPES);
    checkDocumentContent(format, document.bytes);
    this.#n += 1;
    const key = `doc-${this.#n}`;
    this.stored.set(key, document);
    return {
      key,
      sha256: createHash('sha256').update(document.bytes).digest('base64url'),
      size: document.bytes.byteLength,
      mediaType: canonicalMediaType(format),
    };
  }

  async delete(key: string): Promise<void> {
    this.stored.delete(key);
  }
}

/** Everything an issuer use case needs, in memory, at a fixed clock. */
export function issuerWorld(now = new Date('2025-06-01T02:00:00.000Z')) {
  const catalog = new DemoCatalog();
  const licenses = new MemoryLicenses();
  const statusLists = new MemoryStatusLists();
  const documents = new MemoryDocuments();
  let eventCounter = 0;
  const deps = {
    config: catalog.config,
    licenses,
    statusLists,
    keys: catalog.keys,
    cipher: bindingCipher,
    blindIndex: hmacIndexer,
    documents,
    // Events written on their own (not in a repository write) land with the others.
    audit: {
      record: async (event: AuditEvent) => {
        licenses.audit.push(event);
      },
    },
    publicBaseUrl: BASE_URL,
    // No caching: a test that withdraws a seal key sees it at the next read.
    seals: new CachedSealStandings(catalog.config, { maxAgeMs: 0 }),
    now: () => now,
    newEventId: () => `evt-${++eventCounter}`,
  };
  return { catalog, licenses, statusLists, documents, deps };
}
