// Page cursors and limits of the DynamoDB stores. A cursor is the query's LastEvaluatedKey as
// base64url JSON; on the way back in it must name the same partition the listing queries, so
// a cursor from one listing cannot read another's partition.
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

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  if (key === undefined) return undefined;
  return encodeJsonCursor(key);
}

/**
 * The ExclusiveStartKey a cursor stands for. Every attribute in `expected` must have that
 * value (the listing's partition); all values must be strings, as all our key attributes are.
 */
function decodeCursor(cursor: string | undefined, expected: StringKey): StringKey | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw new InvalidCursor('expected base64url text');
  const parsed = decodeJsonCursor(cursor);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidCursor('expected an object of key attributes');
  }
  const key: StringKey = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new InvalidCursor(`key attribute ${name} is not a string`);
    // DynamoDB's bound on a sort key; no key this platform writes comes near it. (The name is
    // the client's: own members only, or `constructor` would pass for an expected attribute.)
    if (Buffer.byteLength(value) > MAX_SORT_KEY_BYTES && !Object.hasOwn(expected, name)) {
      throw new InvalidCursor(`key attribute ${name} is longer than any key of the table`);
    }
    key[name] = value;
  }
  for (const [name, value] of Object.entries(expected)) {
    if (key[name] !== value) throw new InvalidCursor('it belongs to another listing');
  }
  return key;
}

/**
 * One page of a Query over a single partition, which `partition` names (key attribute and
 * value): the cursor coming in must belong to it, each item is parsed by `parse`.
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
  const cursor = encodeCursor(LastEvaluatedKey);
  if (cursor !== undefined) page.cursor = cursor;
  return page;
}

/** Zod issues as the path/message pairs our errors carry. */
export function issuesOf(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
