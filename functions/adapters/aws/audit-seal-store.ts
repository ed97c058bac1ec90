// AuditSealStore on the `audit-seals` table and the `audit-archive` bucket.
//
//   pk `H#<log id>`  sk `HEAD`                 the chain head: version, seq, checkpoint,
//                                              last sealed event, `through`, `started`
//   pk `B#<log id>`  sk `<last time>#<seq 12>`  one item per batch: checkpoint, first and last
//                                              event, archive prefix
//
// The manifest (≈ 140 bytes a leaf) lives only in the archive: batch items stay about 1 KB,
// so the one partition all batches of a log share takes a batch a second at 1 % of its write
// limit, and the verifier reads leaves from the write-once copy rather than a mutable one.
//
// Batches are sorted by their last event's time, then seq. Batches seal consecutive runs of
// the log in seal order, so last times never decrease with seq and this order is seq order
// too; a time range is then one Query from its start, and the anchor the item just before.
// All batches of a log share one partition: the sealer writes about one item a minute.
//
// Archive objects: `<log id>/<seq 12>/<checkpoint hash>/{checkpoint.jws, manifest.json,
// events.jsonl}` (events.jsonl: each event's RFC 8785 bytes, one per line, in seal order). The
// checkpoint hash in the key makes the key deterministic for a batch yet different for every
// signing, so a batch signed by a sealer that then lost the race never overwrites the winner's.
//
// Order of writes, so that a crash between any two never loses or contradicts evidence:
//   1. archive objects (write-once: If-None-Match, Object Lock on AWS);
//   2. one DynamoDB transaction: the batch item, and the head moved iff still at the version
//      the sealer read.
// A crash after 1 leaves archive objects that no head names: the head has not moved, so the
// next run reads the same unsealed events and seals them again (a new checkpoint under a new
// key); the orphan names a `previous` the chain also continues from, and is ignored by
// verification, which walks the chain from the table — except one just past the head, which a
// verify reports: a head moved back leaves the batches it dropped there. Nothing in the table ever points at an
// object that was not written. A loser of a race (step 2 refused) leaves such an orphan too.

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { checkpointHash, type SealedLeaf } from '#core/audit/checkpoint.ts';
import { auditEventId, auditTime } from '#core/audit/event.ts';
import type { AuditTimeRange } from '#ports/audit-log.ts';
import {
  type AuditSealStore,
  type SealAppend,
  SealChainMoved,
  type SealedRange,
  type SealHead,
  type StoredSealBatch,
} from '#ports/audit-seal-store.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { AUDIT_SEAL_GROUP_COUNTS, type AuditSealGroupCount, auditSealGroups } from './audit-seal-groups.ts';
import { issuesOf } from './dynamodb-paging.ts';
import { TransactionCancelled, transactWrite } from './transact-write.ts';

const HEAD_SK = 'HEAD';
const position = z.strictObject({ time: auditTime, id: auditEventId });

const headSchema = z.object({
  version: z.number().int().positive(),
  seq: z.number().int().nonnegative().optional(),
  checkpoint: z.string().optional(),
  lastEvent: position.optional(),
  through: auditTime,
  started: auditTime.optional(),
});

const batchSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  seq: z.number().int().nonnegative(),
  checkpoint: z.string(),
  archivePrefix: z.string(),
  firstEvent: position,
  lastEvent: position,
});

const leafSchema = z.array(z.object({ id: z.string(), time: z.string(), hash: z.string() }));

export interface AuditSealStoreOptions {
  documents: DynamoDBDocumentClient;
  table: string;
  logId: string;
  /** Needed to append and to read batches; reading the head (the health check) does without. */
  archive?: { s3: S3Client; bucket: string };
}

export class DynamoAuditSealStore implements AuditSealStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #archiveOption: { s3: S3Client; bucket: string } | undefined;
  readonly #logId: string;

  constructor(options: AuditSealStoreOptions) {
    this.#documents = options.documents;
    this.#table = options.table;
    this.#archiveOption = options.archive;
    this.#logId = options.logId;
  }

  get #archiveBucket(): { s3: S3Client; bucket: string } {
    if (this.#archiveOption === undefined)
      throw new Error('expected the audit archive bucket, found none configured');
    return this.#archiveOption;
  }

  get #headKey() {
    return { pk: `H#${this.#logId}`, sk: HEAD_SK };
  }

  get #batchPk() {
    return `B#${this.#logId}`;
  }

  async readHead(): Promise<SealHead> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: this.#headKey, ConsistentRead: true }),
    );
    if (Item === undefined)
      return { version: 0, checkpoint: null, seq: null, lastEvent: null, through: null, started: null };
    const parsed = headSchema.safeParse(Item);
    if (!parsed.success)
      throw new StoredItemInvalid(this.#table, `${Item.pk} / ${Item.sk}`, issuesOf(parsed.error));
    const head = parsed.data;
    return {
      version: head.version,
      checkpoint: head.checkpoint ?? null,
      seq: head.seq ?? null,
      lastEvent: head.lastEvent ?? null,
      through: head.through,
      started: head.started ?? null,
    };
  }

  async append(input: SealAppend): Promise<SealHead> {
    const previous = input.expected;
    const next: SealHead = {
      version: previous.version + 1,
      checkpoint: input.batch?.sealed.checkpoint ?? previous.checkpoint,
      seq: input.batch?.sealed.body.seq ?? previous.seq,
      lastEvent: input.batch ? input.batch.sealed.body.lastEvent : previous.lastEvent,
      through: input.through,
      // Kept from the first run on; a head from before it was kept gets its `through` now.
      started: previous.started ?? (previous.version === 0 ? input.through : previous.through),
    };
    const headItem = {
      ...this.#headKey,
      version: next.version,
      through: next.through,
      ...(next.started === null ? {} : { started: next.started }),
      ...(next.seq === null ? {} : { seq: next.seq }),
      ...(next.checkpoint === null ? {} : { checkpoint: next.checkpoint }),
      ...(next.lastEvent === null ? {} : { lastEvent: next.lastEvent }),
    };
    const condition =
      previous.version === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': previous.version },
          };

    if (input.batch === undefined) {
      try {
        await this.#documents.send(new PutCommand({ TableName: this.#table, Item: headItem, ...condition }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new SealChainMoved(previous.version);
        throw error;
      }
      return next;
    }

    const { sealed } = input.batch;
    const { body } = sealed;
    const prefix = `${this.#logId}/${seqKey(body.seq)}/${checkpointHash(sealed.checkpoint)}`;
    await this.#archive(prefix, sealed.checkpoint, sealed.manifest, sealed.eventBytes);
    try {
      await transactWrite(
        this.#documents,
        [
          {
            Put: {
              TableName: this.#table,
              Item: {
                pk: this.#batchPk,
                sk: `${body.lastEvent.time}#${seqKey(body.seq)}`,
                seq: body.seq,
                checkpoint: sealed.checkpoint,
                firstEvent: body.firstEvent,
                lastEvent: body.lastEvent,
                sealedAt: body.sealedAt,
                archivePrefix: prefix,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: this.#table, Item: headItem, ...condition } },
        ],
        'appendAuditSeal',
      );
    } catch (error) {
      if (
        error instanceof TransactionCancelled &&
        error.reasons.some((r) => r.code === 'ConditionalCheckFailed')
      ) {
        throw new SealChainMoved(previous.version);
      }
      throw error;
    }
    return next;
  }

  async #archive(
    prefix: string,
    checkpoint: string,
    manifest: readonly SealedLeaf[],
    eventBytes: readonly Uint8Array[],
  ): Promise<void> {
    // Each event's RFC 8785 bytes as sealed, one per line (JCS escapes every newline in a string).
    const lines = Buffer.concat(eventBytes.flatMap((bytes) => [bytes, NEWLINE]));
    const objects: [string, string | Buffer, string][] = [
      ['events.jsonl', lines, 'application/jsonl'],
      ['manifest.json', JSON.stringify(manifest), 'application/json'],
      // Last: a checkpoint in the archive means its batch's other objects are there too.
      ['checkpoint.jws', checkpoint, 'application/jose'],
    ];
    const { s3, bucket } = this.#archiveBucket;
    for (const [name, body, contentType] of objects) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${prefix}/${name}`,
            Body: body,
            ContentType: contentType,
            // No explicit checksum: the SDK adds one by default on AWS, which Object Lock requires.
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        // Already archived by an earlier attempt at this very checkpoint: same key, same bytes.
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412)
          throw error;
      }
    }
  }

  async archivedCheckpointsBetween(
    fromSeq: number,
    toSeq: number,
    options: { forksOnly?: boolean } = {},
  ): Promise<Map<number, string[]>> {
    const { s3, bucket } = this.#archiveBucket;
    const prefix = `${this.#logId}/`;
    const found = new Map<number, string[]>();
    if (toSeq < fromSeq) return found;
    // Keys sort by their zero-padded sequence number: one listing from the first, stopped past
    // the last. A number's keys come together, so one held alone is dropped once the next begins.
    let current: { seq: number; hashes: string[] } | undefined;
    const keep = () => {
      if (current !== undefined && (!options.forksOnly || current.hashes.length > 1))
        found.set(current.seq, current.hashes);
    };
    const pages = paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: prefix, StartAfter: `${prefix}${seqKey(fromSeq)}` },
    );
    listing: for await (const page of pages) {
      for (const { Key } of page.Contents ?? []) {
        const match = Key?.slice(prefix.length).match(/^(\d{12})\/([^/]+)\/checkpoint\.jws$/);
        if (!match) continue;
        const seq = Number(match[1]);
        if (seq > toSeq) break listing;
        if (current?.seq !== seq) {
          keep();
          current = { seq, hashes: [] };
        }
        current.hashes.push(match[2]!);
      }
    }
    keep();
    return found;
  }

  async archivedCheckpoint(seq: number, hash: string): Promise<string | undefined> {
    const { s3, bucket } = this.#archiveBucket;
    const key = `${this.#logId}/${seqKey(seq)}/${hash}/checkpoint.jws`;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NotFound') return undefined;
      throw error;
    }
  }

  archivedManifest(seq: number, hash: string): Promise<SealedLeaf[]> {
    return this.#manifest(`${this.#logId}/${seqKey(seq)}/${hash}`);
  }

  async batchesCovering(range: AuditTimeRange): Promise<SealedRange> {
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const items: z.infer<typeof batchSchema>[] = [];
    if (from >= to) return { batches: [], anchor: null, successor: null };
    // The first batch at or after the range's start, in the range or after it: the anchor is
    // the item just before it, whether or not any batch lies in the range — looked for even when
    // that batch says it is seq 0, since its `seq` is an unsigned copy (the verifier judges an
    // anchor before a signed seq 0 as a broken chain).
    let firstFound: { sk: string } | undefined;
    let successor: string | null = null;
    const pages = paginateQuery(
      { client: this.#documents },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk >= :from',
        ExpressionAttributeValues: { ':pk': this.#batchPk, ':from': from },
        ConsistentRead: true,
      },
    );
    scan: for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const batch = this.#batch(item);
        firstFound ??= batch;
        if (batch.firstEvent.time >= to) {
          successor = batch.checkpoint;
          break scan;
        }
        items.push(batch);
      }
    }

    const batches = await this.#withManifests(items);
    const { Items = [] } = await this.#documents.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk < :first',
        ExpressionAttributeValues: { ':pk': this.#batchPk, ':first': firstFound?.sk ?? from },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const before = Items[0];
    return { batches, anchor: before === undefined ? null : this.#batch(before).checkpoint, successor };
  }

  #batch(item: Record<string, unknown>): z.infer<typeof batchSchema> {
    const parsed = batchSchema.safeParse(item);
    if (!parsed.success) {
      throw new StoredItemInvalid(
        this.#table,
        `${String(item.pk)} / ${String(item.sk)}`,
        issuesOf(parsed.error),
      );
    }
    return parsed.data;
  }

  /** Each batch with its manifest read from the archive, a few reads at a time. */
  async #withManifests(items: readonly z.infer<typeof batchSchema>[]): Promise<StoredSealBatch[]> {
    const batches: StoredSealBatch[] = [];
    for (let i = 0; i < items.length; i += MANIFEST_READS) {
      const slice = items.slice(i, i + MANIFEST_READS);
      const manifests = await Promise.all(slice.map((item) => this.#manifest(item.archivePrefix)));
      slice.forEach(({ seq, checkpoint, firstEvent, lastEvent }, j) => {
        batches.push({ seq, checkpoint, manifest: manifests[j]!, firstEvent, lastEvent });
      });
    }
    return batches;
  }

  async #manifest(prefix: string): Promise<SealedLeaf[]> {
    const { s3, bucket } = this.#archiveBucket;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/manifest.json` }));
      return parseManifest((await object.Body?.transformToString('utf8')) ?? '');
    } catch (error) {
      // A manifest missing from the archive verifies as no leaves: a finding, not a crash.
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NotFound') return [];
      throw error;
    }
  }
}

const MANIFEST_READS = 16;
const NEWLINE = Buffer.from('\n');

/**
 * The archived manifest as leaves; an altered manifest that no longer parses becomes no leaves,
 * which the verifier reports as a manifest that does not reproduce its signed checkpoint.
 */
function parseManifest(text: string): SealedLeaf[] {
  try {
    const parsed = leafSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function seqKey(seq: number): string {
  return String(seq).padStart(12, '0');
}

/**
 * The log ids of the chains the write-once archive holds anything of, among those starting with
 * `prefix`: every chain that ever sealed a batch, whatever became of the tables since.
 */
export async function archivedLogIds(
  archive: { s3: S3Client; bucket: string },
  prefix: string,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: archive.s3 },
    { Bucket: archive.bucket, Prefix: prefix, Delimiter: '/' },
  )) {
    for (const { Prefix } of page.CommonPrefixes ?? [])
      if (Prefix !== undefined) ids.push(Prefix.slice(0, -1));
  }
  return ids;
}

/**
 * The chains (their seal stores, heads only: no archive) of each seal-group layout of a stage, by
 * count: every layout, or the counts given.
 */
export function sealLayoutStores(
  documents: DynamoDBDocumentClient,
  table: string,
  stage: string,
  counts: readonly AuditSealGroupCount[] = AUDIT_SEAL_GROUP_COUNTS,
): { count: AuditSealGroupCount; chains: DynamoAuditSealStore[] }[] {
  return counts.map((count) => ({
    count,
    chains: auditSealGroups(stage, count).map(
      ({ logId }) => new DynamoAuditSealStore({ documents, table, logId }),
    ),
  }));
}
