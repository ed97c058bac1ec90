// In-memory ports for the holder use cases (my licenses, grants, presentations, access history),
// over the retrieval fakes: proofed accounts bound to demo holders, every version of a license,
// grants listed by holder, presentations with the store's conditions, and the audit log read by
// license as the by-license index reads it.
import { auditItem, byGrantKey } from '#adapters/aws/audit-items.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Grant, GrantTerms } from '#core/grants/grant.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import { DEMO_HOLDERS, type DemoHolder } from '#dev/demo/catalog.ts';
import type { AuditPosition, LicenseAuditReader, LicenseAuditSlice } from '#ports/audit-log.ts';
import type { GrantAuditEventOf } from '#ports/grant-store.ts';
import type { HolderBinding, HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type PresentationStore,
  PresentationUnavailable,
  type StoredPresentation,
} from '#ports/presentation-store.ts';
import {
  blindIndexer,
  RetrievalWorld,
  type TestAuditLog,
  TestGrants,
  TestLicenses,
} from './retrieval-fakes.ts';

export const ACCOUNTS = {
  zhang: 'account-zhang',
  li: 'account-li',
  newcomer: 'account-newcomer',
} as const;

/** Bindings made by identity proofing (here: given). */
export class TestIdentity implements HolderIdentityReader {
  readonly bindings = new Map<string, HolderBinding>();
  async bind(account: string, holder: DemoHolder): Promise<void> {
    this.bindings.set(account, {
      account,
      codeType: holder.codeType,
      code: holder.code,
      holderIndex: await blindIndexer.tokenFor(holder.codeType, holder.code),
      assurance: 'substantial',
      proofingId: `proofing-${account}`,
      boundAt: '2025-05-01T00:00:00.000Z',
    });
  }
  async bindingOf(account: string) {
    return this.bindings.get(account);
  }
}

/** Grants that the holder listing finds, newest first. */
export class HolderGrants extends TestGrants {
  readonly #ids: string[] = [];
  override async create(terms: GrantTerms, auditEventOf?: GrantAuditEventOf) {
    const created = await super.create(terms, auditEventOf);
    this.#ids.unshift(created.grant.value.id);
    return created;
  }
  override async listByHolder(holderIndex: string) {
    const items: Versioned<Grant>[] = [];
    for (const id of this.#ids) {
      const grant = await this.get(id);
      if (grant?.value.holderIndex === holderIndex) items.push(grant);
    }
    return { items };
  }
}

export class HolderLicenses extends TestLicenses {
  async listVersions(licenseKey: string): Promise<LicenseRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.licenseKey === licenseKey)
      .sort((a, b) => a.licenseVersion.localeCompare(b.licenseVersion))
      .map((r) => structuredClone(r));
  }
}

/** The by-license index over the recorded events: the key audit-items.ts would write. */
export class TestLicenseAudit implements LicenseAuditReader {
  readonly #log: TestAuditLog;
  /** Recorded events never change: each is canonicalised once, not on every read. */
  readonly #items = new WeakMap<AuditEvent, { licenseKey?: string; sk: string }>();
  constructor(log: TestAuditLog) {
    this.#log = log;
  }
  /** Items whose by-license key was changed in the table, by event id: tampering. */
  readonly rekeyed = new Map<string, string>();
  #itemOf(event: AuditEvent): { licenseKey?: string; sk: string } {
    let item = this.#items.get(event);
    if (item === undefined) {
      item = auditItem(event);
      this.#items.set(event, item);
    }
    const licenseKey = this.rekeyed.get(event.id);
    return licenseKey === undefined ? item : { ...item, licenseKey };
  }
  readByGrant(grantId: string, options: { limit?: number; before?: AuditPosition } = {}) {
    return this.readByLicense(byGrantKey(grantId), options);
  }
  async readByLicense(
    licenseKey: string,
    options: { limit?: number; before?: AuditPosition } = {},
  ): Promise<LicenseAuditSlice> {
    const before = options.before && `${options.before.time}#${options.before.id}`;
    const matching = this.#log.events
      .map((event) => ({ event, item: this.#itemOf(event) }))
      .filter(({ item }) => item.licenseKey === licenseKey && (before === undefined || item.sk < before))
      .sort((a, b) => (a.item.sk < b.item.sk ? 1 : -1));
    const limit = options.limit ?? 100;
    return { events: matching.slice(0, limit).map(({ event }) => event), more: matching.length > limit };
  }
}

/** Presentations by id, with the conditions of the DynamoDB store. */
export class TestPresentations implements PresentationStore {
  readonly stored = new Map<string, StoredPresentation>();
  readonly #audit: TestAuditLog;
  constructor(audit: TestAuditLog) {
    this.#audit = audit;
  }
  async create(presentation: Omit<StoredPresentation, 'resolutions'>, auditEvent: AuditEvent) {
    await this.#audit.record(auditEvent);
    this.stored.set(presentation.id, { ...structuredClone(presentation), resolutions: 0 });
  }
  async get(id: string) {
    const stored = this.stored.get(id);
    return stored && structuredClone(stored);
  }
  async recordResolution(id: string, now: Date, resolution: number, auditEvent: AuditEvent) {
    const stored = this.stored.get(id);
    if (stored === undefined) throw new PresentationUnavailable('not-found');
    if (stored.expiresAt <= now.toISOString()) throw new PresentationUnavailable('expired');
    if (stored.resolutions >= stored.maxResolutions) throw new PresentationUnavailable('used-up');
    if (stored.resolutions !== resolution - 1) {
      throw new ConcurrentModification(`presentation ${id} resolutions`, resolution - 1, stored.resolutions);
    }
    // Counted before the await, as one transaction would, and taken back when the event fails.
    stored.resolutions = resolution;
    try {
      await this.#audit.record(auditEvent);
    } catch (error) {
      stored.resolutions = resolution - 1;
      throw error;
    }
  }
}

/** The retrieval world with holders: 张伟明 and 李晓燕 proofed, a newcomer not. */
export class HolderWorld extends RetrievalWorld {
  override readonly grants = new HolderGrants(this.clock.now, this.audit);
  override readonly licenses = new HolderLicenses(this.grants, this.audit);
  readonly identity = new TestIdentity();
  readonly presentations = new TestPresentations(this.audit);
  readonly licenseAudit = new TestLicenseAudit(this.audit);

  static async create(): Promise<HolderWorld> {
    const world = new HolderWorld();
    await world.identity.bind(ACCOUNTS.zhang, DEMO_HOLDERS.zhangWeiming);
    await world.identity.bind(ACCOUNTS.li, DEMO_HOLDERS.liXiaoyan);
    return world;
  }

  holderDeps() {
    return {
      ...this.retrievalDeps(),
      licenses: this.licenses,
      grants: this.grants,
      identity: this.identity,
      presentations: this.presentations,
      auditLog: this.licenseAudit,
    };
  }
}
