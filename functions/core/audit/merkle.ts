import { createHash } from 'node:crypto';

// RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: leaf = H(0x00 ‖ data),
// node = H(0x01 ‖ left ‖ right), a tree of n > 1 leaves split at k, the largest power of two
// smaller than n. Functions take leaf *hashes*, so callers hash each event once.

export const HASH_BYTES = 32;
export type Hash = Uint8Array;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of no bytes. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** Largest power of two strictly smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes. */
function subtreeRoot(leaves: readonly Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo]!;
  const k = split(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

export class MerkleRangeError extends Error {
  readonly code = 'MERKLE_RANGE';
  constructor(message: string) {
    super(message);
    this.name = 'MerkleRangeError';
  }
}

/** The Merkle Tree Hash of the given leaf hashes. */
export function rootHash(leaves: readonly Hash[]): Hash {
  return subtreeRoot(leaves, 0, leaves.length);
}

/** The audit path for leaf `index` in the tree of all `leaves` (RFC 6962 §2.1.1 PATH). */
export function inclusionProof(leaves: readonly Hash[], index: number): Hash[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new MerkleRangeError(`expected a leaf index from 0 to ${leaves.length - 1}, found ${index}`);
  }
  const proof: Hash[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      path(m, lo, lo + k);
      proof.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      path(m - k, lo + k, hi);
      proof.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  path(index, 0, leaves.length);
  return proof;
}

/**
 * Proof that the tree of the first `oldSize` leaves is a prefix of the tree of all `leaves`
 * (RFC 6962 §2.1.2 PROOF / SUBPROOF). Empty when oldSize is 0 or equals the tree size.
 */
export function consistencyProof(leaves: readonly Hash[], oldSize: number): Hash[] {
  if (!Number.isInteger(oldSize) || oldSize < 0 || oldSize > leaves.length) {
    throw new MerkleRangeError(`expected an old size from 0 to ${leaves.length}, found ${oldSize}`);
  }
  const proof: Hash[] = [];
  if (oldSize === 0 || oldSize === leaves.length) return proof;
  const subproof = (m: number, lo: number, hi: number, complete: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!complete) proof.push(subtreeRoot(leaves, lo, hi));
      return;
    }
    const k = split(n);
    if (m <= k) {
      subproof(m, lo, lo + k, complete);
      proof.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      subproof(m - k, lo + k, hi, false);
      proof.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  subproof(oldSize, 0, leaves.length, true);
  return proof;
}

function isHash(value: Uint8Array): boolean {
  return value.length === HASH_BYTES;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

const odd = (x: number): boolean => x % 2 === 1;
const isPowerOfTwo = (x: number): boolean => split(x + 1) === x;
const half = (x: number): number => Math.floor(x / 2);

/** Verifies an inclusion proof (RFC 9162 §2.1.3.2). */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  treeSize: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    return false;
  }
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!odd(fn) && fn !== 0);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/** Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    return false;
  }
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === newSize) return proof.length === 0 && equal(oldRoot, newRoot);
  // Every tree extends the empty tree; there is nothing to prove.
  if (oldSize === 0) return proof.length === 0 && equal(oldRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;

  // When oldSize is a power of two the old root is itself a node of the new tree and the proof
  // omits it; put it back in front.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!odd(fn) && fn !== 0);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}

export function toHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex');
}

export function fromHex(hex: string): Hash {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new MerkleRangeError(`expected hex digits, found ${hex}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
