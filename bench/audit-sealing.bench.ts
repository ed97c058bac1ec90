// The audit sealer's ceiling: events sealed per CPU-second by the sealing use case
// (app/seal-audit-log.ts) driving the real seal store adapter (adapters/aws/audit-seal-store.ts:
// canonical bytes, Merkle tree, manifest and archive objects built as on AWS), with the calls
// to DynamoDB and S3 answered in memory and the checkpoint signed in software. What it leaves
// out is the wait on AWS per batch (one KMS Sign, three S3 puts, one transaction, the reads of
// the events from the audit table); the README adds those to state the deployed ceiling.
//
// One chain is sealed by one run at a time, batch after batch, so this is the ceiling of one
// seal group's chain however many runs overlap; a stage's G groups are sealed side by side, each
// at this pace (functions/adapters/aws/audit-seal-groups.ts). Batches of 1,000 (the fixed size before runs
// grew their batches) against batches growing from 1,000 to 20,000 (the default settings);
// and the memory a batch of the largest size holds, to bound the batch size a 1 GiB function
// may be set to.
import v8 from 'node:v8';
import vm from 'node:vm';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditSealStore } from '#adapters/aws/audit-seal-store.ts';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { sealAuditLog } from '#app/seal-audit-log.ts';
import { canonicalEventBytes } from '#core/audit/canonical.ts';
import { sealBatch } from '#core/audit/checkpoint.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { AuditLogReader } from '#ports/audit-log.ts';
import { auditEvent } from '../test/unit/audit/fixtures.ts';
import type { Figure } from './run.ts';

const EVENTS = 100_000;
const LARGEST_BATCH = 20_000;
const LOG = 'elicense-bench-audit';
const T0 = Date.parse('2025-03-01T08:00:00.000Z');
const signer = new SoftwareEs256Signer('platform-bench');

/** The fixture's events (issues, retrievals with a basis, grants, verifications), 0.5 ms apart. */
function events(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    ...auditEvent(n),
    id: `evt-${String(n).padStart(8, '0')}`,
    time: new Date(T0 + Math.floor(n / 2)).toISOString(),
  }));
}

/** The audit table, read in pages by position: a sorted array and an index cursor. */
class ArrayAuditLog implements Pick<AuditLogReader, 'readRange'> {
  readonly #events: AuditEvent[];
  constructor(sorted: AuditEvent[]) {
    this.#events = sorted;
  }
  get length(): number {
    return this.#events.length;
  }
  async readRange(range: { from: Date; to: Date }, page?: { limit?: number; cursor?: string }) {
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    let start = page?.cursor === undefined ? this.#firstAtOrAfter(from) : Number(page.cursor);
    start = Math.max(start, 0);
    const end = start + (page?.limit ?? 100);
    const items: AuditEvent[] = [];
    for (let i = start; i < end && i < this.#events.length && this.#events[i]!.time < to; i++) {
      // A copy, as a read from the table parses a fresh object.
      items.push(structuredClone(this.#events[i]!));
    }
    const next = start + items.length;
    const more = items.length === end - start && next < this.#events.length && this.#events[next]!.time < to;
    return more ? { items, cursor: String(next) } : { items };
  }
  #firstAtOrAfter(time: string): number {
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#events[mid]!.time < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The real seal store over clients answered in memory: the head item as last written, every
 * other call accepted. It counts the bytes of the archive objects the adapter builds.
 */
function inMemorySealStore() {
  let head: Record<string, unknown> | undefined;
  const archived = { objects: 0, bytes: 0 };
  const documents = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const { name } = command.constructor;
      if (name === 'GetCommand') return { Item: head };
      if (name === 'PutCommand') head = command.input.Item as Record<string, unknown>;
      if (name === 'TransactWriteCommand') {
        const items = command.input.TransactItems as { Put: { Item: Record<string, unknown> } }[];
        head = items[items.length - 1]!.Put.Item;
      }
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  const s3 = {
    send: async (command: { input: { Body: string | Buffer } }) => {
      archived.objects += 1;
      archived.bytes += Buffer.byteLength(command.input.Body);
      return {};
    },
  } as unknown as S3Client;
  const store = new DynamoAuditSealStore({
    documents,
    table: 'audit-seals',
    logId: LOG,
    archive: { s3, bucket: 'audit-archive' },
  });
  return { store, archived };
}

/** Seals the whole log in one run; events and batches per CPU-second and per wall second. */
async function sealAll(log: ArrayAuditLog, batchSize: number, maxBatchSize: number) {
  const { store, archived } = inMemorySealStore();
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  const run = await sealAuditLog({
    log,
    seals: store,
    keys: { platformKey: async () => ({ keyRef: 'local:platform', signer, publicJwk: signer.publicJwk }) },
    logId: LOG,
    now: () => new Date(T0 + 3_600_000),
    settleSeconds: 60,
    batchSize,
    maxBatchSize,
    runSeconds: 3_600,
    maxBatchesPerRun: 10_000,
    origin: () => new Date(T0),
  });
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const wallSeconds = Number(process.hrtime.bigint() - wall) / 1e9;
  const sealed = run.batches.reduce((sum, b) => sum + b.events, 0);
  if (sealed !== log.length || run.stopped !== 'caught-up') {
    throw new Error(`expected all ${log.length} events sealed in one run, found ${sealed} (${run.stopped})`);
  }
  return { perCpuSecond: sealed / cpuSeconds, perWallSecond: sealed / wallSeconds, run, archived };
}

/**
 * The heap one batch of `count` events holds while the adapter archives it: the events as read,
 * the sealed batch (manifest) and the archive object bodies, measured after a full collection.
 */
async function heapPerEvent(sample: AuditEvent[]): Promise<number> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage();
  const batch = sample.map((event) => JSON.parse(JSON.stringify(event)) as AuditEvent);
  const sealed = await sealBatch(
    { logId: LOG, seq: 0, events: batch, previous: null, sealedAt: new Date() },
    signer,
  );
  // As the adapter archives them: the sealed bytes, one per line, and the manifest as JSON.
  const body = Buffer.concat(sealed.eventBytes.flatMap((bytes) => [bytes, Buffer.from('\n')]));
  const manifest = JSON.stringify(sealed.manifest);
  gc();
  const after = process.memoryUsage();
  const held = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  // Used after the measurement, so none of it is collected before it.
  if (batch.length !== sealed.eventBytes.length || body.length === 0 || manifest.length === 0) {
    throw new Error('expected a sealed batch and its archive objects');
  }
  return held / sample.length;
}

export async function run(): Promise<Record<string, Figure>> {
  const all = events(EVENTS);
  const log = new ArrayAuditLog(all);
  const eventBytes = all.slice(0, 1_000).reduce((sum, e) => sum + canonicalEventBytes(e).length, 0) / 1_000;

  await sealAll(new ArrayAuditLog(all.slice(0, 5_000)), 1_000, 1_000); // warm-up
  const fixed = await sealAll(log, 1_000, 1_000);
  const growing = await sealAll(log, 1_000, LARGEST_BATCH);
  const perEvent = await heapPerEvent(all.slice(0, LARGEST_BATCH));
  const batches = growing.run.batches.length;

  return {
    'audit sealing, batches of 1,000 (events/CPU-s)': {
      value: Math.round(fixed.perCpuSecond),
      unit: 'events/s',
      target: '> 15,000 (10,000 retrievals/s + 5,000 issues/s)',
    },
    'audit sealing, batches 1,000 → 20,000 (events/CPU-s)': {
      value: Math.round(growing.perCpuSecond),
      unit: 'events/s',
      target: '> 15,000',
    },
    'audit sealing, batches 1,000 → 20,000 (events/wall-s)': {
      value: Math.round(growing.perWallSecond),
      unit: 'events/s',
    },
    [`audit sealing, batches for ${EVENTS.toLocaleString('en')} events (1,000 → 20,000)`]: {
      value: batches,
      unit: 'batches',
    },
    'audit event, canonical size (mean)': { value: Math.round(eventBytes), unit: 'bytes' },
    'audit sealing, archive bytes per event': {
      value: Math.round(growing.archived.bytes / EVENTS),
      unit: 'bytes',
    },
    [`audit sealing, heap held per event in a batch of ${LARGEST_BATCH.toLocaleString('en')}`]: {
      value: Math.round(perEvent),
      unit: 'bytes',
    },
    'audit sealing, largest batch in half of 1 GiB': {
      value: Math.floor((512 * 1024 * 1024) / perEvent),
      unit: 'events',
      target: '≥ 50,000 (the settings allow)',
    },
  };
}
