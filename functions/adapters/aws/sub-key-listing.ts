import { hash } from 'node:crypto';
import { InvalidCursor } from '#ports/page.ts';

// Paging over a listing whose writers spread it over S sub-keys (partition keys) so that no one
// partition takes all its writes: the issuer listing (issuer + type + month) and an agency's
// application queue (agency + state). Each page queries every sub-key from its own cursor,
// merges the results by sort key and keeps the first `limit`. The page cursor carries every
// sub-key's cursor: the sort key of the last entry taken from it, `null` when none was taken
// yet. A sub-key that ran out is queried again on the next page all the same: an entry written
// to it meanwhile (an application entering the queue during the walk) sorts after everything
// listed so far and is listed like one in any other sub-key; the listing ends only on a page
// where every sub-key ran out. (`true`, an exhausted sub-key in cursors of an earlier version,
// is still read, and that sub-key not queried.) (The shared paging contract, ports/page.ts,
// calls the token a cursor.) Hand-written: a k-way merge with resumable per-partition positions is a few
// lines, and no DynamoDB library pages over several partitions.
//
// The cursor is not signed: it names positions inside one listing, and the caller has to be
// allowed that listing anyway. It is bound to its listing by a digest of the listing's identity
// (its kind, its key parts and S), so a cursor from another listing or sub-key count is refused
// instead of silently misread.

export type SubKeyCursor = string | null | true;

export interface SubKeyRows<T> {
  /** Rows in sort-key order, starting after the cursor. */
  rows: readonly T[];
  /** True when the sub-key has nothing after the last row returned. */
  exhausted: boolean;
}

const TOKEN_VERSION = 1;

/** A short digest of the listing's identity, binding a cursor to it. */
export function listingBinding(parts: readonly string[]): string {
  return hash('sha256', parts.join('\u0000'), 'base64url').slice(0, 16);
}

export function encodeListingCursor(binding: string, cursors: readonly SubKeyCursor[]): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, b: binding, c: cursors })).toString('base64url');
}

/**
 * The sub-key positions a cursor carries for this listing; a listing's first page has every
 * cursor `null`. `isPosition` checks each position's form, for listings whose sort key is more
 * than one string (the position is then decoded into a start key, and must decode).
 */
export function decodeListingCursor(
  token: string | undefined,
  binding: string,
  subKeys: number,
  isPosition: (position: string) => boolean = (position) => position.length > 0,
): SubKeyCursor[] {
  if (token === undefined) return Array.from({ length: subKeys }, () => null);
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('expected base64url JSON from a listing page, found other text');
  }
  const { v, b, c } = (decoded ?? {}) as { v?: unknown; b?: unknown; c?: unknown };
  if (v !== TOKEN_VERSION)
    throw new InvalidCursor(`expected cursor format ${TOKEN_VERSION}, found ${String(v)}`);
  if (b !== binding)
    throw new InvalidCursor(
      'expected a cursor of this listing, found one of another listing or sub-key count',
    );
  if (
    !Array.isArray(c) ||
    c.length !== subKeys ||
    !c.every((x) => x === null || x === true || (typeof x === 'string' && x.length > 0 && isPosition(x)))
  ) {
    throw new InvalidCursor(
      `expected ${subKeys} sub-key positions, found ${Array.isArray(c) ? c.length : 'none'} or malformed ones`,
    );
  }
  return c as SubKeyCursor[];
}

/**
 * Merges one page out of the sub-keys' rows: the `limit` smallest sort keys over all of them,
 * and the cursors for the next page (`undefined` when every sub-key ran out on this page). Each sub-key
 * is queried for `limit` rows, but DynamoDB may return fewer and more to come (its 1 MB page):
 * once every row such a sub-key returned is taken, its next row is unknown and may sort before
 * any other's, so the page ends there, shorter than `limit`, rather than out of order (but
 * never empty while rows are at hand, so that paging always moves on).
 */
export function mergePage<T>(
  cursors: readonly SubKeyCursor[],
  fetched: ReadonlyMap<number, SubKeyRows<T>>,
  sortKey: (row: T) => string,
  limit: number,
): { items: T[]; next: SubKeyCursor[] | undefined } {
  const taken = cursors.map(() => 0);
  const items: T[] = [];
  const cutShort = (subKey: number, { rows, exhausted }: SubKeyRows<T>) =>
    !exhausted && taken[subKey] === rows.length;
  while (items.length < limit) {
    if (items.length > 0 && [...fetched].some(([subKey, result]) => cutShort(subKey, result))) break;
    let best = -1;
    let bestKey = '';
    for (const [subKey, { rows }] of fetched) {
      const row = rows[taken[subKey]!];
      if (row === undefined) continue;
      const key = sortKey(row);
      if (best === -1 || key < bestKey) {
        best = subKey;
        bestKey = key;
      }
    }
    if (best === -1) break;
    items.push(fetched.get(best)!.rows[taken[best]!]!);
    taken[best] = taken[best]! + 1;
  }
  const next = cursors.map((cursor, subKey): SubKeyCursor => {
    const result = fetched.get(subKey);
    if (result === undefined) return cursor; // `true` of an earlier cursor: not queried
    const count = taken[subKey]!;
    return count > 0 ? sortKey(result.rows[count - 1]!) : cursor;
  });
  const ranOut = cursors.every((cursor, subKey) => {
    const result = fetched.get(subKey);
    return result === undefined ? cursor === true : result.exhausted && taken[subKey] === result.rows.length;
  });
  return { items, next: ranOut ? undefined : next };
}

/**
 * One page of a listing over sub-keys, the whole walk: the token's positions for this listing,
 * every sub-key queried from its own (`query`, for a whole page of rows after it), the rows
 * merged (mergePage) and the next page's token, absent on the last page.
 */
export async function pageOverSubKeys<T>(listing: {
  binding: string;
  subKeys: number;
  token: string | undefined;
  limit: number;
  isPosition?: (position: string) => boolean;
  query: (subKey: number, position: string | null) => Promise<SubKeyRows<T>>;
  sortKey: (row: T) => string;
}): Promise<{ items: T[]; cursor?: string }> {
  const { binding, subKeys, token, limit, isPosition, query, sortKey } = listing;
  const cursors = decodeListingCursor(token, binding, subKeys, isPosition);
  const fetched = new Map<number, SubKeyRows<T>>();
  await Promise.all(
    cursors.map(async (cursor, subKey) => {
      if (cursor !== true) fetched.set(subKey, await query(subKey, cursor));
    }),
  );
  const { items, next } = mergePage(cursors, fetched, sortKey, limit);
  return { items, ...(next === undefined ? {} : { cursor: encodeListingCursor(binding, next) }) };
}
