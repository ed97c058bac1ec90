import { hash } from 'node:crypto';
import { StatusListError } from './status-list.ts';

// Index allocation that reveals no issuance order.
//
// Scheme. Each list has a secret 256-bit allocation key. Issuance draws from a *position*
// counter 0, 1, 2, … and the status-list index of position p is π(p), where π is a keyed
// pseudorandom permutation of [0, size): a balanced Feistel network (8 rounds, keyed SHA-256
// round function) over the smallest even-bit domain 2^(2h) ≥ size, brought down to [0, size)
// by cycle walking (re-encrypt while the result is ≥ size; ends because π restricted to the
// cycle through p must come back into range, and on average takes < 4 steps).
//
// Why it leaks no order. Without the key, π(0), π(1), … are indistinguishable from distinct
// uniformly random indices, so an index says nothing about when its license was issued, and two
// licenses with neighbouring indices are no more likely to be neighbours in time, or from the same
// issuer, than any two licenses on the list. Only the key holder (the platform's allocation
// state, never published) can map an index back to its position.
//
// Blocks for concurrent writers. Block k is the range of *positions* [k·B, (k+1)·B), not of
// indices. The storage layer hands whole blocks to writers (one contended update per B issues
// instead of one per issue); a writer then draws π(k·B), π(k·B + 1), … locally. Because blocks
// partition position space, the indices of one block are spread over the whole list like any
// others, so no region of the list belongs to one writer, agency or time. The state of a block is
// two numbers (block number, count drawn): O(1) memory; π itself is the key and the size.
//
// Guarantees. π is a bijection and positions are never reused, so an index is never handed out
// twice; once every block is drained, every index of the list has been handed out exactly once.
// Valid and never-used entries are both 0, so the published list does not reveal its fill level.

const ROUNDS = 8;
/** Largest list the permutation supports: 2^32 entries (1 GiB at 2 bits). */
export const MAX_PERMUTATION_SIZE = 2 ** 32;
export const ALLOCATION_KEY_BYTES = 32;

/** Source of secure random bytes, injected: the core performs no I/O. */
export type RandomBytes = (length: number) => Uint8Array;

/** A fresh allocation key for a new list, taken from the injected random source. */
export function newAllocationKey(randomBytes: RandomBytes): Uint8Array {
  const key = randomBytes(ALLOCATION_KEY_BYTES);
  if (key.length !== ALLOCATION_KEY_BYTES) {
    throw new StatusListError(
      'STATUS_LIST_MALFORMED',
      `expected ${ALLOCATION_KEY_BYTES} random bytes, found ${key.length}`,
    );
  }
  return key;
}

/** A keyed pseudorandom permutation of [0, size): position (issue order) ↔ status-list index. */
export class IndexPermutation {
  readonly size: number;
  /** key ‖ round ‖ half: the round function's fixed-length input, reused to avoid allocation. */
  readonly #input: Buffer;
  readonly #halfBits: number;
  readonly #halfMask: number;
  readonly #half: number;

  constructor(key: Uint8Array, size: number) {
    if (key.length < 16) {
      throw new StatusListError(
        'STATUS_LIST_MALFORMED',
        `expected an allocation key of at least 16 bytes, found ${key.length}`,
      );
    }
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PERMUTATION_SIZE) {
      throw new StatusListError(
        'STATUS_LIST_SIZE_INVALID',
        `expected a list size of 1 to ${MAX_PERMUTATION_SIZE}, found ${size}`,
      );
    }
    this.size = size;
    this.#input = Buffer.alloc(key.length + 5);
    this.#input.set(key);
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.#halfBits = bits / 2;
    this.#half = 2 ** this.#halfBits;
    this.#halfMask = this.#half - 1;
  }

  /** The list index handed out at issue position `position`. */
  indexAt(position: number): number {
    this.#check(position, 'position');
    let x = this.#encrypt(position);
    while (x >= this.size) x = this.#encrypt(x);
    return x;
  }

  /** The issue position of `index` (only the key holder can compute it). */
  positionOf(index: number): number {
    this.#check(index, 'index');
    let x = this.#decrypt(index);
    while (x >= this.size) x = this.#decrypt(x);
    return x;
  }

  #check(value: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value >= this.size) {
      throw new StatusListError(
        'STATUS_LIST_INDEX_OUT_OF_RANGE',
        `expected a ${what} from 0 to ${this.size - 1}, found ${value}`,
      );
    }
  }

  #encrypt(x: number): number {
    let left = Math.floor(x / this.#half);
    let right = x & this.#halfMask;
    for (let round = 0; round < ROUNDS; round++) {
      const next = (left ^ this.#round(round, right)) & this.#halfMask;
      left = right;
      right = next;
    }
    return left * this.#half + right;
  }

  #decrypt(y: number): number {
    let left = Math.floor(y / this.#half);
    let right = y & this.#halfMask;
    for (let round = ROUNDS - 1; round >= 0; round--) {
      const previous = (right ^ this.#round(round, left)) & this.#halfMask;
      right = left;
      left = previous;
    }
    return left * this.#half + right;
  }

  // SHA-256(key ‖ round ‖ half), truncated. Inputs all have the same length, so the secret-prefix
  // construction is a PRF here (length extension needs a longer input); it is ~5× cheaper than
  // node's HMAC, which matters because one index costs up to 8 rounds × the cycle walk.
  #round(round: number, half: number): number {
    const at = this.#input.length - 5;
    this.#input[at] = round;
    this.#input.writeUInt32BE(half >>> 0, at + 1);
    return hash('sha256', this.#input, 'buffer').readUInt32BE(0);
  }
}

/** How many blocks of `blockSize` positions a list of `size` entries has (the last may be short). */
export function blockCount(size: number, blockSize: number): number {
  assertBlockSize(blockSize);
  return Math.ceil(size / blockSize);
}

function assertBlockSize(blockSize: number): void {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new StatusListError(
      'STATUS_LIST_SIZE_INVALID',
      `expected a positive block size, found ${blockSize}`,
    );
  }
}

/** Persistable state of one block: which block, and how many of its positions were drawn. */
export interface BlockState {
  block: number;
  drawn: number;
}

/**
 * Draws the indices of one block of positions, in order, through the permutation. The state is
 * plain data so the storage layer can persist it and resume after a restart.
 */
export class BlockAllocator {
  readonly block: number;
  readonly #permutation: IndexPermutation;
  readonly #start: number;
  readonly #end: number;
  #drawn: number;

  constructor(permutation: IndexPermutation, blockSize: number, state: BlockState) {
    assertBlockSize(blockSize);
    const blocks = blockCount(permutation.size, blockSize);
    if (!Number.isInteger(state.block) || state.block < 0 || state.block >= blocks) {
      throw new StatusListError(
        'STATUS_LIST_INDEX_OUT_OF_RANGE',
        `expected a block from 0 to ${blocks - 1}, found ${state.block}`,
      );
    }
    this.#permutation = permutation;
    this.block = state.block;
    this.#start = state.block * blockSize;
    this.#end = Math.min(this.#start + blockSize, permutation.size);
    if (!Number.isInteger(state.drawn) || state.drawn < 0 || state.drawn > this.#end - this.#start) {
      throw new StatusListError(
        'STATUS_LIST_INDEX_OUT_OF_RANGE',
        `expected 0 to ${this.#end - this.#start} drawn in block ${state.block}, found ${state.drawn}`,
      );
    }
    this.#drawn = state.drawn;
  }

  /** The next unused index of this block, or undefined once the block is exhausted. */
  next(): number | undefined {
    if (this.#start + this.#drawn >= this.#end) return undefined;
    const index = this.#permutation.indexAt(this.#start + this.#drawn);
    this.#drawn += 1;
    return index;
  }

  get remaining(): number {
    return this.#end - this.#start - this.#drawn;
  }

  get state(): BlockState {
    return { block: this.block, drawn: this.#drawn };
  }
}
