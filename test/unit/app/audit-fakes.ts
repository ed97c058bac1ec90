// In-memory audit log and seal store with the ports' semantics (half-open time ranges, seal
// order, paging with cursors, a conditional append), for the sealing and verification use cases.
import { checkpointHash, type SealedLeaf } from '#core/audit/checkpoint.ts';
import { type AuditEvent, compareAuditEvents } from '#core/audit/event.ts';
import type { AuditLogReader, AuditTimeRange, StoredAuditEvent } from '#ports/audit-log.ts';
import {
  type AuditSealStore,
  type SealAppend,
  SealChainMoved,
  type SealedRange,
  type SealHead,
  type StoredSealBatch,
} from '#ports/audit-seal-store.ts';
import type { Page, PageRequest } from '#ports/page.ts';

/** The log as stored: each entry's place (time, id) and its event JSON, which a test may alter. */
export class MemoryAuditLog implements AuditLogReader {
  readonly stored: StoredAuditEvent[] = [];

  add(...events: AuditEvent[]): void {
    for (const event of events)
      this.stored.push({ time: event.time, id: event.id, event: structuredClone(event) });
    this.stored.sort(compareAuditEvents);
  }

  async readRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<AuditEvent>> {
    const read = await this.readStoredRange(range, page);
    return { ...read, items: read.items.map((s) => s.event as AuditEvent) };
  }

  async readStoredRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<StoredAuditEvent>> {
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const inRange = this.stored.filter((s) => s.time >= from && s.time < to);
    const start = page?.cursor === undefined ? 0 : Number(page.cursor);
    const limit = page?.limit ?? 100;
    const items = inRange.slice(start, start + limit);
    return start + limit < inRange.length ? { items, cursor: String(start + limit) } : { items };
  }
}

export class MemorySealStore implements AuditSealStore {
  head: SealHead = { version: 0, checkpoint: null, seq: null, lastEvent: null, through: null, started: null };
  readonly batches: StoredSealBatch[] = [];
  /** Runs inside append before the version check: lets a test move the head "concurrently". */
  beforeAppend: (() => Promise<void>) | undefined;

  async readHead(): Promise<SealHead> {
    return { ...this.head };
  }

  async append(input: SealAppend): Promise<SealHead> {
    await this.beforeAppend?.();
    // Archived first, as the store does: a sealer that loses the race leaves its checkpoint there.
    const batch = input.batch?.sealed;
    if (batch !== undefined) {
      const hash = checkpointHash(batch.checkpoint);
      this.archive.set(batch.body.seq, [...(this.archive.get(batch.body.seq) ?? []), hash]);
      this.archivedBatches.set(`${batch.body.seq}/${hash}`, {
        checkpoint: batch.checkpoint,
        manifest: structuredClone(batch.manifest),
      });
    }
    if (input.expected.version !== this.head.version) throw new SealChainMoved(input.expected.version);
    if (batch !== undefined) {
      this.batches.push({
        seq: batch.body.seq,
        checkpoint: batch.checkpoint,
        manifest: batch.manifest,
        firstEvent: batch.body.firstEvent,
        lastEvent: batch.body.lastEvent,
      });
    }
    this.head = {
      version: this.head.version + 1,
      checkpoint: batch?.checkpoint ?? this.head.checkpoint,
      seq: batch?.body.seq ?? this.head.seq,
      lastEvent: batch?.body.lastEvent ?? this.head.lastEvent,
      through: input.through,
      started: this.head.started ?? input.through,
    };
    return { ...this.head };
  }

  /** Checkpoint hashes by seq, as the write-once archive keeps them: a batch deleted from the table stays here. */
  readonly archive = new Map<number, string[]>();

  /** The archived batches by `<seq>/<checkpoint hash>`. */
  readonly archivedBatches = new Map<string, { checkpoint: string; manifest: SealedLeaf[] }>();

  async archivedCheckpointsBetween(
    fromSeq: number,
    toSeq: number,
    options: { forksOnly?: boolean } = {},
  ): Promise<Map<number, string[]>> {
    const found = new Map<number, string[]>();
    for (const seq of [...this.archive.keys()].sort((a, b) => a - b)) {
      const hashes = this.archive.get(seq)!;
      if (seq >= fromSeq && seq <= toSeq && (!options.forksOnly || hashes.length > 1))
        found.set(seq, [...hashes]);
    }
    return found;
  }

  async archivedCheckpoint(seq: number, hash: string): Promise<string | undefined> {
    return this.archivedBatches.get(`${seq}/${hash}`)?.checkpoint;
  }

  async archivedManifest(seq: number, hash: string): Promise<SealedLeaf[]> {
    return structuredClone(this.archivedBatches.get(`${seq}/${hash}`)?.manifest ?? []);
  }

  async batchesCovering(range: AuditTimeRange): Promise<SealedRange> {
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const found = this.batches.findIndex((b) => b.lastEvent.time >= from);
    const index = found === -1 ? this.batches.length : found;
    const batches = this.batches.slice(index).filter((b) => b.firstEvent.time < to);
    return {
      batches,
      anchor: this.batches[index - 1]?.checkpoint ?? null,
      successor: this.batches[index + batches.length]?.checkpoint ?? null,
    };
  }
}
