import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { stableShard } from '#core/stable-shard.ts';
import { PLATFORM_STATUS_BITS, StatusList } from '#core/status-list.ts';
import {
  BlockAllocator,
  blockCount,
  IndexPermutation,
  newAllocationKey,
  type RandomBytes,
} from '#core/status-list-allocation.ts';
import { StatusListNotFound } from '#core/storage-errors.ts';
import type { StatusSlot } from '#ports/license-repository.ts';
import type {
  LoadedStatusList,
  SecretSealer,
  StatusListInfo,
  StatusListStore,
} from '#ports/status-list-store.ts';
import { changedSlotPk, SLOT_SK_PREFIX, slotPk } from './license-items.ts';
import { type CapacityMeter, meterCapacity } from './transact-write.ts';

// Status-list slots on DynamoDB (status-lists table), allocated in blocks so that concurrent
// issuers never contend on one counter per issue.
//
//   pk SLH#<issuerCode>#<typeCode>#<k>  sk HEAD   generation (N): the list of list shard k now filled
//   pk SL#<listId>                      sk META   listId, issuerCode, typeCode, shard, generation,
//                                                 size, blockSize, blocks, nextBlock (N),
//                                                 allocationKey (sealed), createdAt
//   pk SL#<listId>                      sk I#<index, 10 digits>   status (N), licenseId — the slots,
//                                                 written by the license repository (license-items.ts)
//   pk SLC#<listId>                     sk I#<index, 10 digits>   status (N) — the slots whose status
//                                                 changed, also written by the repository: what
//                                                 loadStatusList reads
//
// listId = <issuerCode>-<typeCode>-<k>-<generation>; k = stableShard(licenseKey, K), so an issuer's
// licenses of one type spread over K lists (K partitions of writes) and every version of a license
// stays on the same list shard.
//
// Allocation. A writer claims block b of a list with one conditional update of its META item
// (`nextBlock = nextBlock + 1 IF nextBlock < blocks`, returning the old value), then draws the B
// positions of that block through the core BlockAllocator and the list's keyed permutation, in
// memory: one contended write per B issues. The drawn count is not persisted: a writer that dies
// leaves the rest of its block unused (at most B − 1 indices per writer and list), and the issue
// write claims each index with attribute_not_exists, so no crash or bug can hand an index out
// twice. When every block of a list is claimed, the writer moves HEAD to the next generation (a
// conditional update; a lost race just means another writer did it) and creates that list.
//
// The allocation key is the list's secret: whoever has it can map indices back to issue order.
// It is stored sealed by the SecretSealer. On AWS that must be the field cipher (KMS envelope
// encryption, encryption context {listId}); `unprotectedSecrets` is for local use and tests.

/** Entries per list: 2^20 (256 KiB of 2-bit entries before compression). */
export const DEFAULT_LIST_SIZE = 2 ** 20;
/** Positions per block: one META update per 256 issues per writer. */
export const DEFAULT_BLOCK_SIZE = 256;
/** K: parallel lists per issuer and type. */
export const DEFAULT_LISTS_PER_ISSUER_TYPE = 4;

/** Stores secrets as base64url under a marker: NO protection. Local platform and tests only. */
export const unprotectedSecrets: SecretSealer = {
  async seal(secret) {
    return `unprotected:${Buffer.from(secret).toString('base64url')}`;
  },
  async open(sealed) {
    if (!sealed.startsWith('unprotected:')) {
      throw new Error('expected a secret stored unprotected, found one sealed by another sealer');
    }
    return new Uint8Array(Buffer.from(sealed.slice('unprotected:'.length), 'base64url'));
  },
};

export interface DynamoDbStatusListStoreOptions {
  client: DynamoDBDocumentClient;
  /** Physical name of the status-lists table. */
  table: string;
  sealer: SecretSealer;
  /** Size of lists created from now on (existing lists keep theirs). */
  listSize?: number;
  blockSize?: number;
  listsPerIssuerType?: number;
  randomBytes?: RandomBytes;
  now?: () => Date;
  meter?: CapacityMeter;
}

interface OpenList {
  info: StatusListInfo;
  blockSize: number;
  permutation: IndexPermutation;
  allocator?: BlockAllocator;
  claiming?: Promise<void>;
}

export const listIdOf = (issuerCode: string, typeCode: string, shard: number, generation: number): string =>
  `${issuerCode}-${typeCode}-${shard}-${generation}`;
const headKey = (issuerCode: string, typeCode: string, shard: number) => ({
  pk: `SLH#${issuerCode}#${typeCode}#${shard}`,
  sk: 'HEAD',
});
const metaKey = (listId: string) => ({ pk: slotPk(listId), sk: 'META' });

export class DynamoDbStatusListStore implements StatusListStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #sealer: SecretSealer;
  readonly #listSize: number;
  readonly #blockSize: number;
  readonly #lists: number;
  readonly #randomBytes: RandomBytes;
  readonly #now: () => Date;
  readonly #meter: CapacityMeter | undefined;
  /** Open list per list shard (`issuer#type#k`), shared by concurrent callers in this process. */
  readonly #open = new Map<string, Promise<OpenList>>();

  constructor(options: DynamoDbStatusListStoreOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#sealer = options.sealer;
    this.#listSize = options.listSize ?? DEFAULT_LIST_SIZE;
    this.#blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.#lists = options.listsPerIssuerType ?? DEFAULT_LISTS_PER_ISSUER_TYPE;
    this.#randomBytes = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.#now = options.now ?? (() => new Date());
    this.#meter = options.meter;
    // Fail at start, not at the first issue: the permutation checks the size, blockCount the block.
    new IndexPermutation(new Uint8Array(16), this.#listSize);
    blockCount(this.#listSize, this.#blockSize);
    if (!Number.isInteger(this.#lists) || this.#lists < 1 || this.#lists > 64) {
      throw new RangeError(`expected 1 to 64 lists per issuer and type, found ${this.#lists}`);
    }
  }

  async allocateSlot(issuerCode: string, typeCode: string, licenseKey: string): Promise<StatusSlot> {
    const shard = stableShard(licenseKey, this.#lists);
    const cacheKey = `${issuerCode}#${typeCode}#${shard}`;
    for (;;) {
      let opening = this.#open.get(cacheKey);
      if (opening === undefined) {
        opening = this.#openList(issuerCode, typeCode, shard);
        this.#open.set(cacheKey, opening);
        opening.catch(() => this.#open.delete(cacheKey)); // a failed open is retried by the next caller
      }
      const list = await opening;
      const index = list.allocator?.next();
      if (index !== undefined) return { listId: list.info.listId, index };
      // One claim in flight per list: the callers waiting for it draw from the block it brings.
      list.claiming ??= this.#claimBlock(list, cacheKey).finally(() => {
        list.claiming = undefined;
      });
      await list.claiming;
    }
  }

  async loadStatusList(listId: string): Promise<LoadedStatusList> {
    const meta = await this.#get(metaKey(listId), 'loadStatusList');
    if (meta === undefined) throw new StatusListNotFound(listId);
    const info = infoOf(meta);
    const list = StatusList.create(info.size, PLATFORM_STATUS_BITS);
    // Only the changed slots (license-items.ts): every other slot of the list is valid, 0. Their
    // items are written in the status change's own transaction, so a consistent read of them is
    // the list as it is now — for a few read units where the slots of a full list are ~150 MB.
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': changedSlotPk(listId) },
        ExpressionAttributeNames: { '#status': 'status' },
        ProjectionExpression: 'sk, #status',
        ConsistentRead: true,
        ...this.#capacity(),
      },
    );
    for await (const page of pages) {
      meterCapacity(this.#meter, 'read', 'loadStatusList', page.ConsumedCapacity);
      for (const item of page.Items ?? []) {
        const index = Number(String(item.sk).slice(SLOT_SK_PREFIX.length));
        const value = Number(item.status);
        if (value !== 0) list.set(index, value);
      }
    }
    const allocated = Math.min(info.size, Number(meta.nextBlock) * Number(meta.blockSize));
    return { info, list, allocated };
  }

  async #openList(issuerCode: string, typeCode: string, shard: number): Promise<OpenList> {
    const head = await this.#get(headKey(issuerCode, typeCode, shard), 'openList');
    let generation = typeof head?.generation === 'number' ? head.generation : 0;
    if (head === undefined) {
      const created = await this.#putIfAbsent({ ...headKey(issuerCode, typeCode, shard), generation: 0 });
      if (!created) {
        const current = await this.#get(headKey(issuerCode, typeCode, shard), 'openList');
        generation = Number(current?.generation ?? 0);
      }
    }
    const listId = listIdOf(issuerCode, typeCode, shard, generation);
    let meta = await this.#get(metaKey(listId), 'openList');
    if (meta === undefined) {
      const key = newAllocationKey(this.#randomBytes);
      const candidate = {
        ...metaKey(listId),
        listId,
        issuerCode,
        typeCode,
        shard,
        generation,
        size: this.#listSize,
        blockSize: this.#blockSize,
        blocks: blockCount(this.#listSize, this.#blockSize),
        nextBlock: 0,
        allocationKey: await this.#sealer.seal(key, { listId }),
        createdAt: this.#now().toISOString(),
      };
      // Another writer may create the same list at the same moment; the first one's key wins.
      meta = (await this.#putIfAbsent(candidate)) ? candidate : await this.#get(metaKey(listId), 'openList');
      if (meta === undefined) throw new Error(`status list ${listId} was created and then disappeared`);
    }
    const info = infoOf(meta);
    const key = await this.#sealer.open(String(meta.allocationKey), { listId });
    return { info, blockSize: Number(meta.blockSize), permutation: new IndexPermutation(key, info.size) };
  }

  async #claimBlock(list: OpenList, cacheKey: string): Promise<void> {
    try {
      const result = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: metaKey(list.info.listId),
          UpdateExpression: 'SET nextBlock = nextBlock + :one',
          ConditionExpression: 'nextBlock < blocks',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_OLD',
          ...this.#capacity(),
        }),
      );
      meterCapacity(this.#meter, 'write', 'claimBlock', result.ConsumedCapacity);
      const block = Number(result.Attributes?.nextBlock);
      list.allocator = new BlockAllocator(list.permutation, list.blockSize, { block, drawn: 0 });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Every block of this list is claimed: move the list shard on to its next generation.
      const { issuerCode, typeCode, shard, generation } = list.info;
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: headKey(issuerCode, typeCode, shard),
            UpdateExpression: 'SET generation = :next',
            ConditionExpression: 'generation = :current',
            ExpressionAttributeValues: { ':next': generation + 1, ':current': generation },
          }),
        );
      } catch (advanceError) {
        if (!(advanceError instanceof ConditionalCheckFailedException)) throw advanceError;
      }
      this.#open.delete(cacheKey);
    }
  }

  async #get(
    key: { pk: string; sk: string },
    operation: string,
  ): Promise<Record<string, unknown> | undefined> {
    const result = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true, ...this.#capacity() }),
    );
    meterCapacity(this.#meter, 'read', operation, result.ConsumedCapacity);
    return result.Item;
  }

  async #putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      const result = await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ...this.#capacity(),
        }),
      );
      meterCapacity(this.#meter, 'write', 'createList', result.ConsumedCapacity);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  #capacity(): { ReturnConsumedCapacity?: 'TOTAL' } {
    return this.#meter === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' };
  }
}

function infoOf(meta: Record<string, unknown>): StatusListInfo {
  return {
    listId: String(meta.listId),
    issuerCode: String(meta.issuerCode),
    typeCode: String(meta.typeCode),
    shard: Number(meta.shard),
    generation: Number(meta.generation),
    size: Number(meta.size),
  };
}
