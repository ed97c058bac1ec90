// AuditLogReader on the `audit` table, in the layout of audit-items.ts (shared with the
// writer, the license repository):
//
//   pk  `A#<yyyyMMddHH>#<shard>`   hour bucket of the event time (UTC) + shard (AUDIT_SHARDS of them)
//   sk  `<time>#<event id>`        time as Date#toISOString() (fixed width, milliseconds)
//   id, time, action, licenseKey?  copies of the event's fields
//   event                           the AuditEvent as canonical (RFC 8785) JSON text
//
// Reading a range queries every (hour, shard) partition it touches and merges them. Within a
// partition the sort key orders by (time, id) — the time is fixed width, so text order is
// time order — and hour buckets do not overlap, so the reader walks the buckets in order and,
// inside one, k-way merges its AUDIT_SHARDS shards, each read lazily in small batches so that a page
// reads little more than it returns. The page cursor is the sort key of the last event
// returned (or the start of the next bucket to scan): everything after it in seal order is
// still to come, whichever shard it lives in.
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { canonicalJsonBytes } from '#core/audit/canonical.ts';
import { type AuditEvent, auditEventId, auditTime, parseAuditEvent } from '#core/audit/event.ts';
import type {
  AuditLogReader,
  AuditPosition,
  AuditTimeRange,
  LicenseAuditReader,
  LicenseAuditSlice,
  StoredAuditEvent,
} from '#ports/audit-log.ts';
import {
  decodeJsonCursor,
  encodeJsonCursor,
  InvalidCursor,
  type Page,
  type PageRequest,
} from '#ports/page.ts';
import { StoredItemInvalid, type StoredItemIssue } from '#ports/stored-item-invalid.ts';
import {
  AUDIT_SHARDS,
  auditHourBucket,
  auditPartitionKey,
  auditPartitionKeys,
  byGrantKey,
  byLicenseKeyOf,
} from './audit-items.ts';
import { issuesOf, pageLimit } from './dynamodb-paging.ts';

const HOUR_MS = 3_600_000;
/** The audit table's sparse index of events by license key (tables.ts). */
export const AUDIT_BY_LICENSE_INDEX = 'by-license';
const MAX_LICENSE_SLICE = 100;

const envelopeSchema = z.object({ pk: z.string(), sk: z.string(), id: auditEventId, time: auditTime });
const eventTextSchema = z.object({ action: z.string(), event: z.string() });
const cursorSchema = z.strictObject({
  after: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z(?:#.+)?$/),
});

type Item = Record<string, unknown>;
interface Keyed {
  sk: string;
  item: Item;
}

export interface AuditLogReaderOptions {
  /**
   * Empty hour buckets scanned at most per page (AUDIT_SHARDS queries each); past it the page
   * returns what it has with a cursor, so a sparse range of months cannot hold one call for
   * minutes.
   */
  maxBucketsPerPage?: number;
  /**
   * The audit shards to read, ascending (a seal group's, audit-seal-groups.ts); every shard when
   * absent. An event item found in a partition its id does not hash to is unreadable either way.
   */
  shards?: readonly number[];
}

export class DynamoAuditLogReader implements AuditLogReader, LicenseAuditReader {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #maxBuckets: number;
  readonly #shards: readonly number[] | undefined;

  constructor(documents: DynamoDBDocumentClient, tableName: string, options: AuditLogReaderOptions = {}) {
    this.#documents = documents;
    this.#table = tableName;
    this.#maxBuckets = options.maxBucketsPerPage ?? 48;
    const { shards } = options;
    if (
      shards !== undefined &&
      (shards.length === 0 ||
        shards.some(
          (s, i) => !Number.isInteger(s) || s < 0 || s >= AUDIT_SHARDS || (i > 0 && s <= shards[i - 1]!),
        ))
    ) {
      throw new RangeError(
        `expected ascending audit shards from 0 to ${AUDIT_SHARDS - 1}, found [${shards.join(', ')}]`,
      );
    }
    this.#shards = shards;
  }

  readRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<AuditEvent>> {
    return this.#read(range, page, (keyed) => this.#validated(keyed));
  }

  readStoredRange(range: AuditTimeRange, page?: PageRequest): Promise<Page<StoredAuditEvent>> {
    return this.#read(range, page, (keyed) => this.#stored(keyed));
  }

  /**
   * One Query of the sparse `by-license` index (licenseKey, sk), descending. An index read is
   * eventually consistent: an event written a moment ago may show on the next read.
   */
  async readByLicense(
    licenseKey: string,
    options: { limit?: number; before?: AuditPosition } = {},
  ): Promise<LicenseAuditSlice> {
    const limit = options.limit ?? MAX_LICENSE_SLICE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LICENSE_SLICE) {
      throw new RangeError(`expected a limit from 1 to ${MAX_LICENSE_SLICE}, found ${limit}`);
    }
    const before = options.before === undefined ? undefined : positionKey(options.before);
    const { Items = [], LastEvaluatedKey } = await this.#documents.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: AUDIT_BY_LICENSE_INDEX,
        KeyConditionExpression:
          before === undefined ? 'licenseKey = :key' : 'licenseKey = :key AND sk < :before',
        ExpressionAttributeValues: {
          ':key': licenseKey,
          ...(before === undefined ? {} : { ':before': before }),
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return {
      events: Items.map((item) => this.#validated({ sk: String(item.sk), item })),
      more: LastEvaluatedKey !== undefined,
    };
  }

  readByGrant(
    grantId: string,
    options: { limit?: number; before?: AuditPosition } = {},
  ): Promise<LicenseAuditSlice> {
    return this.readByLicense(byGrantKey(grantId), options);
  }

  async #read<T>(
    range: AuditTimeRange,
    request: PageRequest | undefined,
    decode: (keyed: Keyed) => T,
  ): Promise<Page<T>> {
    const limit = pageLimit(request);
    const from = isoOf(range.from, 'from');
    const to = isoOf(range.to, 'to');
    const after = request?.cursor === undefined ? undefined : decodeAuditCursor(request.cursor, from, to);
    const items: T[] = [];
    if (from >= to) return { items };

    const lower = after ?? from;
    const lastBucket = floorHour(Date.parse(to) - 1);
    let scanned = 0;
    for (let bucket = floorHour(Date.parse(lower.slice(0, 24))); bucket <= lastBucket; bucket += HOUR_MS) {
      if (scanned === this.#maxBuckets) {
        return { items, cursor: encodeAuditCursor(new Date(bucket).toISOString()) };
      }
      scanned += 1;
      const need = limit - items.length;
      const merge = new BucketMerge(
        this.#documents,
        this.#table,
        bucket,
        this.#shards,
        lower,
        to,
        after,
        need,
      );
      const taken = await merge.take(need);
      items.push(...taken.map(decode));
      if (items.length === limit) {
        const last = taken[taken.length - 1];
        const more = bucket < lastBucket || (await merge.hasMore());
        return more && last !== undefined ? { items, cursor: encodeAuditCursor(last.sk) } : { items };
      }
    }
    return { items };
  }

  #envelope({ item }: Keyed): z.infer<typeof envelopeSchema> {
    const parsed = envelopeSchema.safeParse(item);
    if (!parsed.success) throw this.#invalid(item, issuesOf(parsed.error));
    const { pk, sk, id, time } = parsed.data;
    const issues: StoredItemIssue[] = [];
    if (sk !== `${time}#${id}`) issues.push({ path: 'sk', message: `expected ${time}#${id}, found ${sk}` });
    // The exact partition, not any of the hour's: an event moved to another shard would leave
    // its seal group's chain (reported dropped there) for another's.
    const expected = auditPartitionKey(time, id);
    if (pk !== expected) issues.push({ path: 'pk', message: `expected ${expected}, found ${pk}` });
    if (issues.length > 0) throw this.#invalid(item, issues);
    return parsed.data;
  }

  #stored(keyed: Keyed): StoredAuditEvent {
    const text = keyed.item.event;
    let envelope: { id: string; time: string };
    try {
      envelope = this.#envelope(keyed);
    } catch (error) {
      if (!(error instanceof StoredItemInvalid)) throw error;
      return this.#unreadable(keyed, error);
    }
    const { id, time } = envelope;
    let event: unknown = text ?? null;
    if (typeof text === 'string') {
      try {
        event = JSON.parse(text);
      } catch {
        return { time, id, event: text };
      }
      // The text is what the sealer hashed, and what a person or another tool reads: text that
      // only parses to the sealed value (a duplicate key, another number form, an escape) would
      // show one thing and verify as another.
      const issues = [
        ...notCanonical(text, event),
        ...copyMismatches(keyed.item, id, time, event),
        ...licenseKeyMismatch(keyed.item, event),
      ];
      if (issues.length > 0) return this.#unreadable(keyed, this.#invalid(keyed.item, issues));
    }
    return { time, id, event };
  }

  /** Handed out, not thrown: the verifier names it and reads on past it. */
  #unreadable(keyed: Keyed, error: StoredItemInvalid): StoredAuditEvent {
    const text = keyed.item.event;
    const [time = keyed.sk, id = ''] = keyed.sk.split(/#(.*)/s);
    return { time, id, event: text ?? null, unreadable: { key: error.key, issues: error.issues } };
  }

  #validated(keyed: Keyed): AuditEvent {
    const { id, time } = this.#envelope(keyed);
    const text = eventTextSchema.safeParse(keyed.item);
    if (!text.success) throw this.#invalid(keyed.item, issuesOf(text.error));
    let event: AuditEvent;
    try {
      event = parseAuditEvent(JSON.parse(text.data.event));
    } catch (error) {
      const issues =
        error instanceof Error && 'issues' in error
          ? (error as { issues: StoredItemIssue[] }).issues.map((i) => ({ ...i, path: `event.${i.path}` }))
          : [{ path: 'event', message: `expected JSON text, found ${(error as Error).message}` }];
      throw this.#invalid(keyed.item, issues);
    }
    const mismatches = copyMismatches(keyed.item, id, time, event);
    if (mismatches.length > 0) throw this.#invalid(keyed.item, mismatches);
    return event;
  }

  #invalid(item: Item, issues: StoredItemIssue[]): StoredItemInvalid {
    return new StoredItemInvalid(this.#table, `${String(item.pk)} / ${String(item.sk)}`, issues);
  }
}

/** One shard of one bucket, read lazily in ascending sort-key order. */
class ShardStream {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pk: string;
  readonly #lower: string;
  readonly #upper: string;
  readonly #after: string | undefined;
  #buffer: Keyed[] = [];
  #startKey: Record<string, unknown> | undefined;
  #exhausted = false;

  constructor(
    documents: DynamoDBDocumentClient,
    table: string,
    pk: string,
    lower: string,
    upper: string,
    after: string | undefined,
  ) {
    this.#documents = documents;
    this.#table = table;
    this.#pk = pk;
    this.#lower = lower;
    this.#upper = upper;
    this.#after = after;
  }

  get head(): Keyed | undefined {
    return this.#buffer[0];
  }

  /** True when the buffer is empty but the shard may hold more. */
  get needsFill(): boolean {
    return this.#buffer.length === 0 && !this.#exhausted;
  }

  shift(): Keyed | undefined {
    return this.#buffer.shift();
  }

  async fill(batch: number): Promise<void> {
    while (this.needsFill) {
      // `sk BETWEEN lower AND upper`: lower is a time (or a cursor's `time#id`) and upper a bare
      // time, so this is lower ≤ sk < upper — no sort key equals a bare time, and `<upper>#…`
      // sorts after `<upper>`. The event equal to the cursor itself is dropped below.
      const { Items = [], LastEvaluatedKey } = await this.#documents.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ExpressionAttributeValues: { ':pk': this.#pk, ':lower': this.#lower, ':upper': this.#upper },
          ExclusiveStartKey: this.#startKey,
          Limit: batch,
          ConsistentRead: true,
        }),
      );
      this.#startKey = LastEvaluatedKey;
      this.#exhausted = LastEvaluatedKey === undefined;
      for (const item of Items) {
        const sk = String(item.sk);
        if (this.#after === undefined || sk > this.#after) this.#buffer.push({ sk, item });
      }
    }
  }
}

/** The shards of one hour bucket merged in sort-key order. */
class BucketMerge {
  readonly #streams: ShardStream[];
  readonly #batch: number;

  constructor(
    documents: DynamoDBDocumentClient,
    table: string,
    bucket: number,
    shards: readonly number[] | undefined,
    lower: string,
    upper: string,
    after: string | undefined,
    need: number,
  ) {
    this.#streams = auditPartitionKeys(auditHourBucket(new Date(bucket).toISOString()), shards).map(
      (pk) => new ShardStream(documents, table, pk, lower, upper, after),
    );
    // About twice each shard's share of the page, so an even spread is read in one round;
    // +1 covers the cursor's own event, which the query returns and the stream drops.
    this.#batch = Math.min(need + 1, Math.max(8, Math.ceil((2 * need) / this.#streams.length) + 1));
  }

  async take(count: number): Promise<Keyed[]> {
    const taken: Keyed[] = [];
    while (taken.length < count) {
      await this.#fillEmpty();
      let next: ShardStream | undefined;
      for (const stream of this.#streams) {
        const head = stream.head;
        if (head !== undefined && (next?.head === undefined || head.sk < next.head.sk)) next = stream;
      }
      const keyed = next?.shift();
      if (keyed === undefined) break;
      taken.push(keyed);
    }
    return taken;
  }

  async hasMore(): Promise<boolean> {
    await this.#fillEmpty();
    return this.#streams.some((stream) => stream.head !== undefined);
  }

  async #fillEmpty(): Promise<void> {
    await Promise.all(this.#streams.filter((s) => s.needsFill).map((s) => s.fill(this.#batch)));
  }
}

/** Where an item's copies of the event's id, time and action disagree with its event text. */
function copyMismatches(item: Item, id: string, time: string, event: unknown): StoredItemIssue[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return [];
  const fields = event as Record<string, unknown>;
  const issues: StoredItemIssue[] = [];
  const compare = (path: string, copy: unknown, found: unknown) => {
    if (copy !== found) {
      issues.push({ path, message: `expected ${String(copy)}, found ${String(found)}` });
    }
  };
  compare('event.id', id, fields.id);
  compare('event.time', time, fields.time);
  compare('event.action', item.action, fields.action);
  return issues;
}

/**
 * Where the item's by-license index key is not the one audit-items.ts derives from its event's
 * subject. The holder's access history is read by that key: one removed hides the event from its
 * license's history, one changed lists it under another license.
 */
function licenseKeyMismatch(item: Item, event: unknown): StoredItemIssue[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return [];
  const subject = (event as Record<string, unknown>).subject;
  const licenseKey =
    typeof subject === 'object' && subject !== null
      ? byLicenseKeyOf(subject as AuditEvent['subject'])
      : undefined;
  if (item.licenseKey === licenseKey) return [];
  return [
    {
      path: 'licenseKey',
      message: `expected ${licenseKey ?? 'none'} (from event.subject), found ${String(item.licenseKey ?? 'none')}`,
    },
  ];
}

/** An issue when the text is not the RFC 8785 bytes of the value it parses to. */
function notCanonical(text: string, value: unknown): StoredItemIssue[] {
  let canonical: Uint8Array;
  try {
    canonical = canonicalJsonBytes(value);
  } catch (error) {
    return [{ path: 'event', message: `expected RFC 8785 JSON text, found ${(error as Error).message}` }];
  }
  if (Buffer.from(text, 'utf8').equals(canonical)) return [];
  return [{ path: 'event', message: 'expected the RFC 8785 bytes of its value, found another spelling' }];
}

function isoOf(date: Date, name: string): string {
  if (!Number.isFinite(date.getTime())) throw new RangeError(`range ${name} must be a valid date`);
  return date.toISOString();
}

function positionKey({ time, id }: AuditPosition): string {
  auditTime.parse(time);
  auditEventId.parse(id);
  return `${time}#${id}`;
}

function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function encodeAuditCursor(after: string): string {
  return encodeJsonCursor({ after });
}

function decodeAuditCursor(cursor: string, from: string, to: string): string {
  const result = cursorSchema.safeParse(decodeJsonCursor(cursor));
  if (!result.success) throw new InvalidCursor('expected an audit position');
  const { after } = result.data;
  if (after < from || after >= to) throw new InvalidCursor('it lies outside the requested range');
  return after;
}
