// Page cursors and limits of the DynamoDB stores. A cursor is the query's LastEvaluatedKey as
// base64url JSON, less the listing's partition: the caller's query names it again, and it may be
// something the caller must never be shown (a holder's blind index, the partition of the grants'
// by-holder index and the name of their reference photos, which cursors in ?cursor= URLs and logs
// would carry). In its place the cursor carries a digest of the partition and the key, so a
// cursor from another listing is still refused: without the partition nobody can make the digest
// of another, and as it covers the key too it differs from page to page, linking no cursors of
// one holder. It is a digest, not a signature: whoever knows a partition can make a cursor of it,
// and so choose where their own listing starts, which a query of that partition allows anyway.
import { hash } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  decodeJsonCursor,
  encodeJsonCursor,
  InvalidCursor,
  type Page,
  type PageRequest,
} from '#ports/page.ts';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

export type StringKey = Record<string, string>;

const MAX_SORT_KEY_BYTES = 1024;

/** The page size asked for, checked: 1 to {@link MAX_PAGE_LIMIT}, {@link DEFAULT_PAGE_LIMIT} when absent. */
export function pageLimit(request: PageRequest | undefined): number {
  const limit = request?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new RangeError(`page limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, found ${limit}`);
  }
  return limit;
}

/** Binds a cursor's key to the listing's partition (see the head of this module). */
function cursorDigest(partition: StringKey, key: StringKey): string {
  const sorted = (attributes: StringKey) =>
    Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hash('sha256', JSON.stringify([sorted(partition), sorted(key)]), 'base64url');
}

/**
 * The cursor standing for an ExclusiveStartKey of a listing of `partition`: the key less the
 * partition's attributes, and the digest binding it to the partition. (Exported so that tests
 * can make a cursor the table would refuse; the stores make them in {@link queryPage}.)
 */
export function encodePageCursor(partition: StringKey, startKey: Record<string, unknown>): string {
  const key: StringKey = {};
  for (const [name, value] of Object.entries(startKey)) {
    if (Object.hasOwn(partition, name)) continue;
    if (typeof value !== 'string') throw new TypeError(`expected key attribute ${name} to be a string`);
    key[name] = value;
  }
  return encodeJsonCursor({ k: key, d: cursorDigest(partition, key) });
}

/**
 * The ExclusiveStartKey a cursor stands for: its key, which must be bound to `partition` (the
 * listing's), with the partition's attributes put back. All values must be strings, as all our
 * key attributes are.
 */
function decodeCursor(cursor: string | undefined, partition: StringKey): StringKey | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw new InvalidCursor('expected base64url text');
  const parsed = decodeJsonCursor(cursor);
  const { k, d } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    k?: unknown;
    d?: unknown;
  };
  if (typeof k !== 'object' || k === null || Array.isArray(k) || typeof d !== 'string') {
    throw new InvalidCursor('expected an object of key attributes and its digest');
  }
  const key: StringKey = {};
  for (const [name, value] of Object.entries(k)) {
    if (typeof value !== 'string') throw new InvalidCursor(`key attribute ${name} is not a string`);
    // The partition comes from the query alone. (Own members only, or `constructor` would
    // pass for one.)
    if (Object.hasOwn(partition, name)) throw new InvalidCursor(`it names the partition's ${name}`);
    // DynamoDB's bound on a sort key; no key this platform writes comes near it.
    if (Buffer.byteLength(value) > MAX_SORT_KEY_BYTES) {
      throw new InvalidCursor(`key attribute ${name} is longer than any key of the table`);
    }
    key[name] = value;
  }
  if (d !== cursorDigest(partition, key)) throw new InvalidCursor('it belongs to another listing');
  return { ...key, ...partition };
}

/**
 * One page of a Query over a single partition, which `partition` names (key attribute and
 * value): the cursor coming in must belong to it and the one handed out leaves it out; each
 * item is parsed by `parse`.
 */
export async function queryPage<T>(
  documents: DynamoDBDocumentClient,
  query: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>,
  partition: StringKey,
  request: PageRequest | undefined,
  parse: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const limit = pageLimit(request);
  const { Items = [], LastEvaluatedKey } = await documents
    .send(
      new QueryCommand({
        ...query,
        Limit: limit,
        ExclusiveStartKey: decodeCursor(request?.cursor, partition),
      }),
    )
    .catch((error: unknown) => {
      // The same query without a cursor is the first page; refused with one, it is the start key
      // the table refuses (attributes not of its key schema, a key over DynamoDB's size limits):
      // a cursor it never handed out, the client's error.
      if (request?.cursor !== undefined && (error as { name?: unknown }).name === 'ValidationException') {
        throw new InvalidCursor('the table refuses it as a starting key');
      }
      throw error;
    });
  const page: Page<T> = { items: Items.map((item) => parse(item)) };
  if (LastEvaluatedKey !== undefined) page.cursor = encodePageCursor(partition, LastEvaluatedKey);
  return page;
}

/** Zod issues as the path/message pairs our errors carry. */
export function issuesOf(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
