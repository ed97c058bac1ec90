// In-memory ports of the application use cases: a store that keeps the all-or-nothing write and
// the version lock of the DynamoDB one, proofed identities, documents that presign, an audit log.

import { createHash } from 'node:crypto';
import type { HolderApplicationDeps } from '#app/applications/apply.ts';
import type { ReviewDeps } from '#app/applications/review.ts';
import type { ApplicationState } from '#core/applications/application.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import { DEMO_HOLDER_ACCOUNTS } from '#dev/demo/holder-accounts.ts';
import type {
  ApplicationStore,
  ApplicationWrite,
  StoredApplication,
  StoredStep,
} from '#ports/application-store.ts';
import type { NewDocument, StoredDocument } from '#ports/document-store.ts';
import type { HolderBinding, HolderIdentityReader } from '#ports/holder-identity.ts';
import type { Page } from '#ports/page.ts';
import { bindingCipher, issuerWorld, MemoryDocuments } from './issuer-fakes.ts';

export class MemoryApplications implements ApplicationStore {
  readonly items = new Map<string, { stored: StoredApplication; history: StoredStep[] }>();
  readonly audit: AuditEvent[] = [];
  /** Runs before the next advance is applied, once (a rival writer). */
  beforeNextAdvance: (() => Promise<void>) | undefined;

  async create(write: ApplicationWrite): Promise<void> {
    const id = write.next.application.id;
    if (this.items.has(id)) throw new ConcurrentModification(`application ${id}`, 0, 1);
    this.items.set(id, structuredClone({ stored: write.next, history: [write.step] }));
    this.audit.push(write.auditEvent);
  }

  async get(id: string) {
    const item = this.items.get(id);
    return item && structuredClone(item);
  }

  async advance(write: ApplicationWrite): Promise<void> {
    const rival = this.beforeNextAdvance;
    this.beforeNextAdvance = undefined;
    await rival?.();
    const id = write.next.application.id;
    const item = this.items.get(id);
    const expected = write.next.application.version - 1;
    // As the DynamoDB store: once the approval's license is written, only the step to approved.
    const barred = item?.stored.licenseWritten !== undefined && write.next.application.state !== 'approved';
    if (item === undefined || item.stored.application.version !== expected || barred) {
      throw new ConcurrentModification(`application ${id}`, expected, item?.stored.application.version);
    }
    const { licenseWritten: _never, ...next } = write.next;
    item.stored = structuredClone(next);
    item.history.push(structuredClone(write.step));
    this.audit.push(write.auditEvent);
  }

  /** The license write's part: marks an approving application with its license, else refuses. */
  markApproval(applicationId: string, licenseId: string): () => void {
    const item = this.items.get(applicationId);
    if (item?.stored.application.state !== 'approving') {
      throw new ConcurrentModification(`application ${applicationId}`, 0);
    }
    return () => {
      item.stored.licenseWritten = licenseId;
    };
  }

  async listByAgency(
    agency: string,
    state: ApplicationState,
  ): Promise<Page<StoredApplication['application']>> {
    return {
      items: [...this.items.values()]
        .map((i) => i.stored.application)
        .filter((a) => a.agency === agency && a.state === state),
    };
  }

  async listByHolder(account: string): Promise<Page<StoredApplication['application']>> {
    return {
      items: [...this.items.values()]
        .map((i) => i.stored.application)
        .filter((a) => a.holderAccount === account)
        .reverse(),
    };
  }
}

export class MemoryIdentities implements HolderIdentityReader {
  readonly bindings = new Map<string, HolderBinding>();

  proof(account: string, codeType: string, code: string): void {
    this.bindings.set(account, {
      account,
      codeType,
      code,
      holderIndex: createHash('sha256').update(`${codeType}:${code}`).digest('base64url'),
      assurance: 'substantial',
      proofingId: `proofing-${account}`,
      boundAt: '2025-01-01T00:00:00.000Z',
    });
  }

  async bindingOf(account: string) {
    return this.bindings.get(account);
  }
}

/** Documents in memory that accept PDFs only, as the S3 store's content check does. */
export class PresigningDocuments extends MemoryDocuments {
  override async put(document: NewDocument): Promise<StoredDocument> {
    if (document.mediaType !== 'application/pdf') throw new Error(`unsupported ${document.mediaType}`);
    return super.put(document);
  }

  async presignDownload(document: { key: string }, seconds: number) {
    return { url: `https://documents.test/${document.key}?ttl=${seconds}`, expiresAt: new Date(0) };
  }
}

export const pdf = (text: string) => new TextEncoder().encode(`%PDF-1.7 ${text}`);

/** Everything the holder's and the agency's use cases need, in memory; zhangweiming and demo-technology proofed. */
export function applicationWorld(now = new Date('2025-06-01T02:00:00.000Z')) {
  const issuer = issuerWorld(now);
  const applications = new MemoryApplications();
  const identities = new MemoryIdentities();
  const documents = new PresigningDocuments();
  const views: AuditEvent[] = [];
  let ids = 0;
  let clock = now;
  for (const account of [DEMO_HOLDER_ACCOUNTS.zhangWeiming, DEMO_HOLDER_ACCOUNTS.demoTechnology]) {
    identities.proof(account.account, account.holder.codeType, account.holder.code);
  }
  const base = {
    applications,
    config: issuer.deps.config,
    cipher: bindingCipher,
    documents,
    audit: { record: async (event: AuditEvent) => void views.push(event) },
    now: () => clock,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    newEventId: issuer.deps.newEventId,
  };
  issuer.licenses.markApproval = (id, licenseId) => applications.markApproval(id, licenseId);
  const holderDeps: HolderApplicationDeps = {
    ...base,
    identities,
    licenses: issuer.licenses,
    blindIndex: issuer.deps.blindIndex,
  };
  const reviewDeps: ReviewDeps = { ...base, issuance: issuer.deps };
  return {
    issuer,
    applications,
    identities,
    documents,
    views,
    holderDeps,
    reviewDeps,
    advanceClock(minutes: number) {
      clock = new Date(clock.getTime() + minutes * 60_000);
    },
  };
}
