import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListingCursor,
  encodeListingCursor,
  listingBinding,
  mergePage,
  type SubKeyCursor,
  type SubKeyRows,
} from '#adapters/aws/sub-key-listing.ts';
import { InvalidCursor } from '#ports/page.ts';

/**
 * What DynamoDB's Query with Limit does on one sub-key: rows after the cursor, at most `limit`,
 * or at most `cap` when its 1 MB page fills first.
 */
function query(
  rows: readonly string[],
  cursor: string | null,
  limit: number,
  cap = Number.POSITIVE_INFINITY,
): SubKeyRows<string> {
  const after = cursor === null ? rows : rows.filter((r) => r > cursor);
  const stop = Math.min(limit, cap);
  const page = after.slice(0, stop);
  // DynamoDB says "maybe more" (LastEvaluatedKey) whenever it stopped at the limit or the 1 MB.
  return { rows: page, exhausted: page.length < stop };
}

function listAll(
  subKeys: readonly string[][],
  limit: number,
  cap?: number,
): { items: string[]; pages: number } {
  const binding = listingBinding(['issuer', 'type', '2025-03', String(subKeys.length)]);
  const items: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const cursors = decodeListingCursor(token, binding, subKeys.length);
    const fetched = new Map<number, SubKeyRows<string>>();
    cursors.forEach((cursor, s) => {
      if (cursor !== true) fetched.set(s, query(subKeys[s]!, cursor, limit, cap));
    });
    const page = mergePage(cursors, fetched, (row) => row, limit);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    token = page.next === undefined ? undefined : encodeListingCursor(binding, page.next);
    pages += 1;
    if (pages > 10_000) throw new Error('paging does not end');
  } while (token !== undefined);
  return { items, pages };
}

describe('a listing over S sub-keys', () => {
  it('returns every entry exactly once, in sort-key order, whatever the spread, page size and 1 MB cuts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('0', '1', '2', '3', 'a', 'b') }),
          {
            maxLength: 120,
          },
        ),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.nat(), { minLength: 120, maxLength: 120 }),
        fc.option(fc.integer({ min: 1, max: 25 }), { nil: undefined }),
        (keys, subKeyCount, limit, spread, cap) => {
          const subKeys = Array.from({ length: subKeyCount }, () => [] as string[]);
          keys.forEach((key, i) => {
            subKeys[spread[i]! % subKeyCount]!.push(key);
          });
          for (const rows of subKeys) rows.sort();
          const { items } = listAll(subKeys, limit, cap);
          expect(items).toEqual([...keys].sort());
        },
      ),
    );
  });

  it('fills every page but the last, and ends with no cursor', () => {
    const subKeys = [
      ['a1', 'a4', 'a7'],
      ['a2', 'a5'],
      ['a3', 'a6', 'a8', 'a9'],
    ];
    const binding = listingBinding(['i', 't', '2025-03', '3']);
    const cursors = decodeListingCursor(undefined, binding, 3);
    expect(cursors).toEqual([null, null, null]);
    const first = mergePage(
      cursors,
      new Map(subKeys.map((rows, s) => [s, query(rows, null, 4)])),
      (r) => r,
      4,
    );
    expect(first.items).toEqual(['a1', 'a2', 'a3', 'a4']);
    // Sub-key 1 returned fewer than asked (exhausted) but still has a5 untaken: it keeps a cursor.
    expect(first.next).toEqual(['a4', 'a2', 'a3']);
    expect(listAll(subKeys, 4)).toEqual({
      items: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'],
      pages: 3,
    });
  });

  it('queries a sub-key that ran out again on the next page, so an entry written to it during the walk is listed', () => {
    const subKeys = [['a0'], ['a1', 'a2', 'a3', 'a4', 'a5']];
    const binding = listingBinding(['i', 't', '2025-03', '2']);
    const first = mergePage(
      decodeListingCursor(undefined, binding, 2),
      new Map(subKeys.map((rows, s) => [s, query(rows, null, 2)])),
      (r) => r,
      2,
    );
    expect(first.items).toEqual(['a0', 'a1']);
    // Sub-key 0 ran out; it keeps its position rather than being dropped from the walk.
    expect(first.next).toEqual(['a0', 'a1']);

    // Entries arrive in both sub-keys, after everything listed so far.
    subKeys[0]!.push('b0');
    subKeys[1]!.push('b1');
    const rest: string[] = [];
    let cursors = first.next!;
    for (let page = 0; page < 10; page++) {
      const fetched = new Map(cursors.map((cursor, s) => [s, query(subKeys[s]!, cursor as string, 2)]));
      const next = mergePage(cursors, fetched, (r) => r, 2);
      rest.push(...next.items);
      if (next.next === undefined) break;
      cursors = next.next;
    }
    expect(rest).toEqual(['a2', 'a3', 'a4', 'a5', 'b0', 'b1']);
  });

  it('still reads an exhausted sub-key (true) in a cursor of an earlier version, and does not query it', () => {
    const binding = listingBinding(['i', 't', '2025-03', '2']);
    const cursors = decodeListingCursor(encodeListingCursor(binding, [true, 'a1']), binding, 2);
    const page = mergePage(cursors, new Map([[1, query(['a1', 'a2'], 'a1', 5)]]), (r) => r, 5);
    expect(page).toEqual({ items: ['a2'], next: undefined });
  });

  it('refuses a cursor of another listing, of another sub-key count, or altered', () => {
    const binding = listingBinding(['i', 't', '2025-03', '2']);
    const other = listingBinding(['i', 't', '2025-04', '2']);
    const cursor = encodeListingCursor(binding, ['x', true] satisfies SubKeyCursor[]);
    expect(decodeListingCursor(cursor, binding, 2)).toEqual(['x', true]);
    expect(() => decodeListingCursor(cursor, other, 2)).toThrow(InvalidCursor);
    expect(() => decodeListingCursor(cursor, binding, 3)).toThrow(/expected 3 sub-key positions/);
    expect(() => decodeListingCursor(`${cursor}!`, binding, 2)).toThrow(/base64url/);
    expect(() => decodeListingCursor(encodeListingCursor(binding, ['', true]), binding, 2)).toThrow(
      InvalidCursor,
    );
  });

  it('refuses a position its listing cannot read as a start key', () => {
    const binding = listingBinding(['queue', 'agency', 'submitted', '2']);
    const isPosition = (position: string) => /^\d{3}#.+$/.test(position);
    const good = encodeListingCursor(binding, ['123#a', null]);
    expect(decodeListingCursor(good, binding, 2, isPosition)).toEqual(['123#a', null]);
    const bad = encodeListingCursor(binding, ['12#a', null]);
    expect(() => decodeListingCursor(bad, binding, 2, isPosition)).toThrow(/expected 2 sub-key positions/);
  });

  it('ends a page where a sub-key cut short (DynamoDB’s 1 MB) has rows it did not return yet', () => {
    const cursors: SubKeyCursor[] = [null, null];
    // Sub-key 0 holds a1 a3 a5 but returned only a1, with more to come; sub-key 1 is whole.
    const fetched = new Map<number, SubKeyRows<string>>([
      [0, { rows: ['a1'], exhausted: false }],
      [1, { rows: ['a2', 'a4', 'a6'], exhausted: true }],
    ]);
    const page = mergePage(cursors, fetched, (r) => r, 5);
    // Sub-key 0's next row (a3) is unseen and could sort before a2, so the page stops after a1.
    expect(page.items).toEqual(['a1']);
    expect(page.next).toEqual(['a1', null]);
    const rest = mergePage(
      page.next!,
      new Map<number, SubKeyRows<string>>([
        [0, { rows: ['a3', 'a5'], exhausted: true }],
        [1, { rows: ['a2', 'a4', 'a6'], exhausted: true }],
      ]),
      (r) => r,
      5,
    );
    expect(rest.items).toEqual(['a2', 'a3', 'a4', 'a5', 'a6']);
    expect(rest.next).toBeUndefined();
    // With nothing taken yet, a page still moves on rather than answer empty forever.
    const stalled = mergePage(
      cursors,
      new Map<number, SubKeyRows<string>>([
        [0, { rows: [], exhausted: false }],
        [1, { rows: ['a2'], exhausted: true }],
      ]),
      (r) => r,
      5,
    );
    expect(stalled.items).toEqual(['a2']);
    expect(stalled.next).toEqual([null, 'a2']);
  });
});
