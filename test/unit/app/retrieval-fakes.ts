// In-memory ports for the retrieval group's use cases (grants, retrievals), each keeping the
// contract of its port: the grant store keeps only the code's hash and checks the same
// conditions as the DynamoDB one, a grant use and its audit event are written together or not
// at all, the cipher opens only for the binding it sealed under, the audit writer refuses an
// id twice and can be made to fail.
import { randomUUID } from 'node:crypto';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { sealLicenseContent } from '#app/license-content.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { canonicalEventBytes } from '#core/audit/canonical.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency } from '#core/catalog/agency.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import { type Grant, GrantSchema, type GrantTerms, grantUnusableReason } from '#core/grants/grant.ts';
import { grantCodeHash, newGrantCode } from '#core/grants/grant-code.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import type { PublicJwk } from '#core/jws.ts';
import { blindIndexToken } from '#core/keys/blind-index.ts';
import type { LayoutMediaType } from '#core/layout-document/format.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import type { StoredStatus } from '#core/lifecycle.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import {
  AuditEventExists,
  ConcurrentModification,
  GrantUseRefused,
  LicenseNotFound,
} from '#core/storage-errors.ts';
import {
  DEMO_AGENCIES,
  DEMO_LICENSE_TYPES,
  DEMO_SHARING_AGREEMENTS,
  type DemoLicense,
} from '#dev/demo/catalog.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { DocumentStore, StoredDocument } from '#ports/document-store.ts';
import {
  GrantAlreadyRevoked,
  type GrantAuditEventOf,
  GrantNotFound,
  type GrantStore,
  type RevokeOptions,
} from '#ports/grant-store.ts';
import type {
  HolderLicense,
  HolderListingOptions,
  LicenseRecord,
  LicenseRepository,
  RetrievedVersion,
} from '#ports/license-repository.ts';
import type { Page, Versioned } from '#ports/page.ts';
import type { SigningKey, SigningKeys } from '#ports/signer.ts';
import { bindingCipher } from './issuer-fakes.ts';

export const PUBLIC_BASE_URL = 'https://elicense.test';

/** The platform's clock in these tests; moved by a test where time matters. */
export class TestClock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  now = (): Date => new Date(this.#ms);
  set(iso: string): void {
    this.#ms = Date.parse(iso);
  }
}

const BLIND_INDEX_KEY = new TextEncoder().encode('unit-test-blind-index-key-32-bytes!');
export const blindIndexer: BlindIndexer = {
  async tokenFor(codeType, code) {
    return blindIndexToken(BLIND_INDEX_KEY, codeType, code);
  },
};

/** The platform key and one seal key per issuing agency, software keys made once per test file. */
export class TestKeys implements SigningKeys {
  readonly platform = new SoftwareEs256Signer('platform-test');
  readonly #seals = new Map<string, SoftwareEs256Signer>();
  async platformKey(): Promise<SigningKey> {
    return { keyRef: 'test:platform', signer: this.platform, publicJwk: this.platform.publicJwk };
  }
  async keyFor(keyRef: string): Promise<SigningKey> {
    let signer = this.#seals.get(keyRef);
    if (!signer) {
      // A demo issuer's seal is named by the kid its agency record registers, as the seed does: the
      // flag on licenses of a withdrawn seal key reads that record by the license's kid.
      const registered = DEMO_AGENCIES.find((a) => keyRef === `seal/${a.uscc}`)?.sealKey?.kid;
      signer = new SoftwareEs256Signer(registered ?? `seal-${this.#seals.size + 1}`);
      this.#seals.set(keyRef, signer);
    }
    return { keyRef, signer, publicJwk: signer.publicJwk };
  }
}

/** The demo catalog, with agencies and agreements a test may add. */
export class TestConfig
  implements Pick<ConfigStore, 'getAgency' | 'getLicenseType' | 'listSharingAgreementsOfAgency'>
{
  readonly agencies = new Map<string, Agency>(DEMO_AGENCIES.map((a) => [a.uscc, a]));
  readonly types = new Map<string, LicenseType>(DEMO_LICENSE_TYPES.map((t) => [t.code, t]));
  readonly agreements: SharingAgreement[] = [...DEMO_SHARING_AGREEMENTS];

  async getAgency(uscc: string) {
    const value = this.agencies.get(uscc);
    return value && { value, version: 1 };
  }
  async getLicenseType(code: string) {
    const value = this.types.get(code);
    return value && { value, version: 1 };
  }
  /** Pages of one, so a use case that stops after the first page misses agreements. */
  async listSharingAgreementsOfAgency(
    relyingAgency: string,
    request: { typeCode?: string; cursor?: string } = {},
  ) {
    const matching = this.agreements
      .filter(
        (a) =>
          a.relyingAgency === relyingAgency &&
          (request.typeCode === undefined || a.typeCode === request.typeCode),
      )
      .sort((a, b) => a.typeCode.localeCompare(b.typeCode) || a.id.localeCompare(b.id));
    const start = request.cursor === undefined ? 0 : Number(request.cursor);
    const item = matching[start];
    return {
      items: item ? [{ value: item, version: 1 }] : [],
      ...(start + 1 < matching.length ? { cursor: String(start + 1) } : {}),
    };
  }
}

/**
 * Audit events by id at their time, as the DynamoDB writer keys them: the same event again is
 * already recorded (a retried write), a different one under its id is refused. `failing` makes
 * every write fail as an unreachable table would.
 */
export class TestAuditLog implements AuditLogWriter {
  readonly events: AuditEvent[] = [];
  failing = false;
  async record(event: AuditEvent): Promise<void> {
    if (this.failing) throw new Error('audit table unreachable');
    const recorded = this.events.find((e) => e.id === event.id && e.time === event.time);
    if (recorded !== undefined) {
      if (sameCanonicalBytes(recorded, event)) return;
      throw new AuditEventExists(event.id);
    }
    this.events.push(structuredClone(event));
  }
}

function sameCanonicalBytes(a: AuditEvent, b: AuditEvent): boolean {
  return Buffer.from(canonicalEventBytes(a)).equals(canonicalEventBytes(b));
}

/** Grants by id, codes by hash; conditions as the DynamoDB store and repository check them. */
export class TestGrants implements GrantStore {
  readonly #grants = new Map<string, { grant: Grant; version: number; codeHash: string }>();
  readonly #clock: () => Date;
  readonly #audit: TestAuditLog;
  constructor(clock: () => Date, audit: TestAuditLog) {
    this.#clock = clock;
    this.#audit = audit;
  }

  async create(terms: GrantTerms, auditEventOf?: GrantAuditEventOf) {
    const grant = GrantSchema.parse({
      ...terms,
      id: randomUUID(),
      uses: 0,
      status: 'active',
      created: this.#clock().toISOString(),
    });
    const code = newGrantCode();
    if (auditEventOf) await this.#audit.record(auditEventOf(grant));
    this.#grants.set(grant.id, { grant, version: 1, codeHash: grantCodeHash(code) });
    return { grant: { value: structuredClone(grant), version: 1 }, code };
  }
  async get(grantId: string): Promise<Versioned<Grant> | undefined> {
    const stored = this.#grants.get(grantId);
    return stored && { value: structuredClone(stored.grant), version: stored.version };
  }
  async findByCode(code: string) {
    const hash = grantCodeHash(code);
    const stored = [...this.#grants.values()].find((s) => s.codeHash === hash);
    return stored && { value: structuredClone(stored.grant), version: stored.version };
  }
  async revoke(grantId: string, options: RevokeOptions = {}) {
    const stored = this.#grants.get(grantId);
    if (!stored) throw new GrantNotFound(grantId);
    if (stored.grant.revoked !== undefined) throw new GrantAlreadyRevoked(grantId, stored.grant.revoked);
    if (options.asRead !== undefined && options.asRead.version !== stored.version) {
      throw new ConcurrentModification(`grant ${grantId}`, options.asRead.version, stored.version);
    }
    if (options.auditEvent) await this.#audit.record(options.auditEvent);
    stored.grant = { ...stored.grant, status: 'revoked', revoked: this.#clock().toISOString() };
    stored.version += 1;
    return { value: structuredClone(stored.grant), version: stored.version };
  }
  async listByHolder(_holderIndex: string): Promise<Page<Versioned<Grant>>> {
    return { items: [] };
  }

  /** The use counter as the repository's transaction counts it: condition, count and event together. */
  async use(grantId: string, now: string, event: AuditEvent): Promise<void> {
    const stored = this.#grants.get(grantId);
    if (!stored) throw new GrantUseRefused(grantId, 'not-found', 'no such grant');
    const reason = grantUnusableReason(stored.grant, new Date(now));
    if (reason) throw new GrantUseRefused(grantId, reason, `it ${reason}`);
    await this.#audit.record(event);
    stored.grant = { ...stored.grant, uses: stored.grant.uses + 1, lastUsedAt: now };
    stored.version += 1;
  }
}

/** Licenses by id; the holder index lists the current version of each license key. */
export class TestLicenses
  implements
    Pick<LicenseRepository, 'get' | 'getCurrent' | 'listByHolder' | 'recordGrantUse' | 'recordRetrieval'>
{
  readonly records = new Map<string, LicenseRecord>();
  readonly #grants: TestGrants;
  readonly #audit: AuditLogWriter;
  /** Runs once, just before the next retrieval write checks its license: a change landing meanwhile. */
  beforeNextWrite: (() => void) | undefined;
  constructor(grants: TestGrants, audit: AuditLogWriter) {
    this.#grants = grants;
    this.#audit = audit;
  }
  async get(licenseId: string) {
    const record = this.records.get(licenseId);
    return record && structuredClone(record);
  }
  async getCurrent(licenseKey: string) {
    const versions = [...this.records.values()].filter((r) => r.licenseKey === licenseKey);
    const current = versions.sort((a, b) => b.licenseVersion.localeCompare(a.licenseVersion))[0];
    return current && structuredClone(current);
  }
  /**
   * As the holder index lists them: the current version of each license the holder holds; with
   * includeFormer, a license re-issued to another holder by the holder's last version, marked former.
   */
  async listByHolder(
    holderIndex: string,
    typeCode?: string,
    options: HolderListingOptions = {},
  ): Promise<HolderLicense[]> {
    const own = [...this.records.values()]
      .filter((r) => r.holderIndex === holderIndex && (typeCode === undefined || r.typeCode === typeCode))
      .sort((a, b) => a.licenseVersion.localeCompare(b.licenseVersion));
    const lastOwn = new Map(own.map((r) => [r.licenseKey, r]));
    const entries: HolderLicense[] = [];
    for (const [key, last] of lastOwn) {
      const current = (await this.getCurrent(key))!;
      const former = current.holderIndex !== holderIndex;
      if (former && options.includeFormer !== true) continue;
      const r = former ? last : current;
      entries.push({
        licenseKey: r.licenseKey,
        licenseId: r.id,
        typeCode: r.typeCode,
        issuerCode: r.issuerCode,
        dataDomain: r.dataDomain,
        issuedAt: r.issuedAt,
        ...(former ? { former: true as const } : {}),
      });
    }
    return entries;
  }
  async recordGrantUse(grantId: string, now: string, auditEvent: AuditEvent, retrieved?: RetrievedVersion) {
    if (retrieved !== undefined) this.#checkUnchanged(retrieved);
    return this.#grants.use(grantId, now, auditEvent);
  }
  async recordRetrieval(auditEvent: AuditEvent, retrieved: RetrievedVersion) {
    this.#checkUnchanged(retrieved);
    await this.#audit.record(auditEvent);
  }
  /** As the repository's condition on the license item: the version read is still the version stored. */
  #checkUnchanged(retrieved: RetrievedVersion): void {
    const change = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    change?.();
    const record = this.records.get(retrieved.licenseId);
    if (record === undefined) throw new LicenseNotFound(retrieved.licenseId);
    if (record.version !== retrieved.version) {
      throw new ConcurrentModification(`license ${retrieved.licenseId}`, retrieved.version, record.version);
    }
  }
  /** A status change as the repository writes it: the record's version moves on. */
  setStatus(licenseId: string, status: StoredStatus, supersededBy?: string): void {
    const record = this.records.get(licenseId)!;
    this.records.set(licenseId, {
      ...record,
      status,
      version: record.version + 1,
      ...(supersededBy ? { supersededBy } : {}),
    });
  }
}

/** Presigned links that name the key and lifetime they were made for. */
export class TestDocuments implements Pick<DocumentStore, 'presignDownload'> {
  async presignDownload(document: Pick<StoredDocument, 'key' | 'mediaType'>, expiresInSeconds: number) {
    return {
      url: `https://documents.test/${document.key}?expires-in=${expiresInSeconds}`,
      expiresAt: new Date(Date.now() + expiresInSeconds * 1000),
    };
  }
}

export interface IssueOptions {
  serial?: string;
  version?: string;
  data?: Record<string, unknown>;
  validity?: { from: string; until: string };
  issuedAt?: string;
  /** A layout document already in the store (PDF or OFD). */
  document?: StoredDocument & { mediaType: LayoutMediaType };
  /** The holder's device key: the credential's `cnf`. */
  holderKey?: PublicJwk;
}

/** Everything a retrieval or grant use case needs, wired over the fakes. */
export class RetrievalWorld {
  readonly clock = new TestClock('2025-06-01T02:00:00.000Z');
  readonly audit = new TestAuditLog();
  readonly grants = new TestGrants(this.clock.now, this.audit);
  readonly licenses = new TestLicenses(this.grants, this.audit);
  readonly config = new TestConfig();
  readonly keys = new TestKeys();
  readonly documents = new TestDocuments();
  #events = 0;

  newEventId = (): string => `evt-${++this.#events}`;

  /** Signs a demo license as its issuer would and stores it with its content sealed. */
  async issue(demo: DemoLicense, options: IssueOptions = {}): Promise<LicenseRecord> {
    const type = this.config.types.get(demo.typeCode)!;
    const id = buildLicenseId({
      typeCode: demo.typeCode,
      issuerCode: demo.issuer,
      serial: options.serial ?? demo.serial,
      version: options.version ?? '001',
    });
    const data = options.data ?? demo.data;
    const validity = options.validity ?? (data[type.validity.field ?? ''] as { from: string; until: string });
    const seal = await this.keys.keyFor(`seal/${demo.issuer}`);
    const issued = await issueSdJwtVc(
      {
        licenseId: id,
        issuer: agencyIssuer(PUBLIC_BASE_URL, demo.issuer),
        fields: data,
        issuedAt: 1_700_000_000,
        validFrom: 1_600_000_000,
        validUntil: null,
        status: { uri: statusListUri(PUBLIC_BASE_URL, 'list-1'), idx: this.licenses.records.size },
        ...(options.holderKey ? { holderKey: options.holderKey } : {}),
      },
      seal.signer,
    );
    const content = await sealLicenseContent(
      bindingCipher,
      { dataDomain: type.dataDomain, licenseId: id },
      issued,
      {
        validity,
        holderCodeType: demo.holder.codeType,
        ...(options.document ? { document: options.document } : {}),
      },
    );
    const record: LicenseRecord = {
      id,
      holderIndex: await blindIndexer.tokenFor(demo.holder.codeType, demo.holder.code),
      statusSlot: { listId: 'list-1', index: this.licenses.records.size },
      issuedAt: options.issuedAt ?? this.clock.now().toISOString(),
      content: { ...content },
      licenseKey: licenseKeyOf(id),
      typeCode: demo.typeCode,
      issuerCode: demo.issuer,
      licenseVersion: options.version ?? '001',
      dataDomain: type.dataDomain,
      status: 'valid',
      history: [],
      version: 1,
    };
    this.licenses.records.set(id, record);
    return record;
  }

  retrievalDeps() {
    return {
      licenses: this.licenses,
      grants: this.grants,
      config: this.config,
      audit: this.audit,
      cipher: bindingCipher,
      blindIndexer,
      keys: this.keys,
      documents: this.documents,
      // A fresh cache per call: a test that withdraws a key between two calls sees the flag at once.
      seals: new CachedSealStandings(this.config),
      publicBaseUrl: PUBLIC_BASE_URL,
      now: this.clock.now,
      newEventId: this.newEventId,
    };
  }

  grantDeps() {
    return {
      config: this.config,
      licenses: this.licenses,
      grants: this.grants,
      blindIndexer,
      now: this.clock.now,
      newEventId: this.newEventId,
    };
  }
}
