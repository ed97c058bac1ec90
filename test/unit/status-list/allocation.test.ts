import { describe, expect, it } from 'vitest';
import { StatusListError } from '#core/status-list.ts';
import {
  BlockAllocator,
  blockCount,
  IndexPermutation,
  newAllocationKey,
} from '#core/status-list-allocation.ts';
import { seededBytes } from './seeded-random.ts';

const key = newAllocationKey(seededBytes(20240601));

function drainAll(permutation: IndexPermutation, blockSize: number, blockOrder?: number[]): number[] {
  const blocks = blockOrder ?? Array.from({ length: blockCount(permutation.size, blockSize) }, (_, b) => b);
  const drawn: number[] = [];
  for (const block of blocks) {
    const allocator = new BlockAllocator(permutation, blockSize, { block, drawn: 0 });
    for (let index = allocator.next(); index !== undefined; index = allocator.next()) drawn.push(index);
  }
  return drawn;
}

/** Spearman rank correlation between draw order and index: ~0 when order says nothing about index. */
function spearman(values: number[]): number {
  const n = values.length;
  const ranks = new Array<number>(n);
  values
    .map((value, i) => [value, i] as const)
    .sort((a, b) => a[0] - b[0])
    .forEach(([, i], rank) => {
      ranks[i] = rank;
    });
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ranks[i]! - i) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('IndexPermutation', () => {
  it('is a bijection on [0, size) with positionOf as its inverse, for every small size', () => {
    for (let size = 1; size <= 70; size++) {
      const permutation = new IndexPermutation(key, size);
      const indices = Array.from({ length: size }, (_, p) => permutation.indexAt(p));
      expect(new Set(indices).size).toBe(size);
      expect(Math.min(...indices)).toBe(0);
      expect(Math.max(...indices)).toBe(size - 1);
      indices.forEach((index, position) => {
        expect(permutation.positionOf(index)).toBe(position);
      });
    }
  });

  it('gives a different order under a different key', () => {
    const a = new IndexPermutation(key, 1000);
    const b = new IndexPermutation(newAllocationKey(seededBytes(7)), 1000);
    const same = Array.from({ length: 1000 }, (_, p) => a.indexAt(p) === b.indexAt(p)).filter(Boolean).length;
    expect(same).toBeLessThan(10);
  });
});

describe('block allocation', () => {
  it('never repeats an index and covers the whole list once every block is drained', () => {
    for (const [size, blockSize] of [
      [1100, 128],
      [4096, 1000],
      [1, 16],
      [97, 97],
    ] as const) {
      const permutation = new IndexPermutation(key, size);
      const drawn = drainAll(permutation, blockSize);
      expect(drawn.length).toBe(size);
      expect(new Set(drawn).size).toBe(size);
      expect(drawn.every((index) => Number.isInteger(index) && index >= 0 && index < size)).toBe(true);
    }
  });

  it('covers the list whatever order blocks are handed to writers in', () => {
    const permutation = new IndexPermutation(key, 3000);
    const drawn = drainAll(permutation, 250, [7, 0, 11, 3, 5, 1, 10, 2, 9, 4, 8, 6]);
    expect(new Set(drawn).size).toBe(3000);
  });

  it('resumes a block from its persisted state with the same sequence', () => {
    const permutation = new IndexPermutation(key, 10_000);
    const first = new BlockAllocator(permutation, 100, { block: 42, drawn: 0 });
    const straight = Array.from({ length: 100 }, () => first.next());
    expect(first.next()).toBeUndefined();
    expect(first.remaining).toBe(0);

    const before = new BlockAllocator(permutation, 100, { block: 42, drawn: 0 });
    const head = Array.from({ length: 37 }, () => before.next());
    expect(before.state).toEqual({ block: 42, drawn: 37 });
    const after = new BlockAllocator(permutation, 100, before.state);
    const tail = Array.from({ length: 63 }, () => after.next());
    expect([...head, ...tail]).toEqual(straight);
  });

  it('hands the last, short block only the positions that exist', () => {
    const permutation = new IndexPermutation(key, 1050);
    expect(blockCount(1050, 100)).toBe(11);
    expect(new BlockAllocator(permutation, 100, { block: 10, drawn: 0 }).remaining).toBe(50);
  });
});

describe('allocation order reveals nothing (fixed key, deterministic)', () => {
  const size = 100_000;
  const permutation = new IndexPermutation(key, size);
  const block0 = drainAll(permutation, 1000, [0]);

  it('is not monotone: about half the steps go up, half go down', () => {
    let ascents = 0;
    for (let i = 1; i < block0.length; i++) if (block0[i]! > block0[i - 1]!) ascents++;
    const ratio = ascents / (block0.length - 1);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.6);
  });

  it('has no rank correlation between draw order and index', () => {
    expect(Math.abs(spearman(block0))).toBeLessThan(0.1);
  });

  it('spreads one block over the whole list: every tenth of the list gets draws', () => {
    const deciles = new Array<number>(10).fill(0);
    for (const index of block0) deciles[Math.floor((index * 10) / size)]! += 1;
    // 1000 draws, 100 expected per tenth; a contiguous or clustered allocator would leave tenths empty.
    for (const count of deciles) {
      expect(count).toBeGreaterThan(60);
      expect(count).toBeLessThan(140);
    }
  });

  it('puts consecutive draws far apart on average (about size/3 for random indices)', () => {
    let gaps = 0;
    for (let i = 1; i < block0.length; i++) gaps += Math.abs(block0[i]! - block0[i - 1]!);
    const meanGap = gaps / (block0.length - 1);
    expect(meanGap).toBeGreaterThan(size * 0.28);
    expect(meanGap).toBeLessThan(size * 0.39);
  });
});

describe('refusals', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      return error instanceof StatusListError ? error.code : String(error);
    }
    return undefined;
  };
  const permutation = new IndexPermutation(key, 100);

  it('refuses short keys, bad sizes and out-of-range positions', () => {
    expect(codeOf(() => new IndexPermutation(new Uint8Array(8), 100))).toBe('STATUS_LIST_MALFORMED');
    expect(codeOf(() => new IndexPermutation(key, 0))).toBe('STATUS_LIST_SIZE_INVALID');
    expect(codeOf(() => new IndexPermutation(key, 2 ** 32 + 1))).toBe('STATUS_LIST_SIZE_INVALID');
    expect(codeOf(() => permutation.indexAt(100))).toBe('STATUS_LIST_INDEX_OUT_OF_RANGE');
    expect(codeOf(() => permutation.positionOf(-1))).toBe('STATUS_LIST_INDEX_OUT_OF_RANGE');
  });

  it('refuses blocks and drawn counts outside the list', () => {
    expect(codeOf(() => new BlockAllocator(permutation, 10, { block: 10, drawn: 0 }))).toBe(
      'STATUS_LIST_INDEX_OUT_OF_RANGE',
    );
    expect(codeOf(() => new BlockAllocator(permutation, 10, { block: 0, drawn: 11 }))).toBe(
      'STATUS_LIST_INDEX_OUT_OF_RANGE',
    );
    expect(codeOf(() => new BlockAllocator(permutation, 0, { block: 0, drawn: 0 }))).toBe(
      'STATUS_LIST_SIZE_INVALID',
    );
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(codeOf(() => newAllocationKey(() => new Uint8Array(16)))).toBe('STATUS_LIST_MALFORMED');
  });
});
