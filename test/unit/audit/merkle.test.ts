import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  fromHex,
  type Hash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '#core/audit/merkle.ts';

// Certificate Transparency reference vectors (RFC 6962 test data, as carried by
// github.com/transparency-dev/merkle and the original C++ merkle_tree_test): eight leaf inputs,
// the root for every tree size, and reference inclusion and consistency proofs.
const CT_LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: [index: number, size: number, proof: string[]][] = [
  [0, 1, []],
  [1, 2, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d']],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CT_CONSISTENCY: [oldSize: number, newSize: number, proof: string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

const ctLeaves = CT_LEAF_INPUTS.map(leafHash);
const root = (size: number): Hash => fromHex(CT_ROOTS[size]!);

describe('RFC 6962 hashing against the Certificate Transparency vectors', () => {
  it('hashes a leaf as SHA-256(0x00 ‖ data) and a node as SHA-256(0x01 ‖ left ‖ right)', () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(CT_ROOTS[1]);
    const [a, b] = [ctLeaves[0]!, ctLeaves[1]!];
    const expected = createHash('sha256').update(Uint8Array.of(1)).update(a).update(b).digest('hex');
    expect(toHex(nodeHash(a, b))).toBe(expected);
    expect(toHex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
  });

  it('reproduces the root for every tree size 0..8', () => {
    for (let size = 0; size <= 8; size++)
      expect(toHex(rootHash(ctLeaves.slice(0, size)))).toBe(CT_ROOTS[size]);
  });

  it('reproduces the reference inclusion proofs, which verify', () => {
    for (const [index, size, expected] of CT_INCLUSION) {
      const proof = inclusionProof(ctLeaves.slice(0, size), index);
      expect(proof.map(toHex)).toEqual(expected);
      expect(verifyInclusion(ctLeaves[index]!, index, size, proof, root(size))).toBe(true);
    }
  });

  it('reproduces the reference consistency proofs, which verify', () => {
    for (const [oldSize, newSize, expected] of CT_CONSISTENCY) {
      const proof = consistencyProof(ctLeaves.slice(0, newSize), oldSize);
      expect(proof.map(toHex)).toEqual(expected);
      expect(verifyConsistency(oldSize, newSize, root(oldSize), root(newSize), proof)).toBe(true);
    }
  });
});

const many = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i, i * 7, 0x5a)));
const roots = Array.from({ length: many.length + 1 }, (_, n) => rootHash(many.slice(0, n)));
const flipped = (hash: Hash): Hash => {
  const copy = Uint8Array.from(hash);
  copy[7]! ^= 0x01;
  return copy;
};

describe('inclusion proofs for every leaf of every tree size up to 40', () => {
  it('verify for the right leaf, index, size and root, and for nothing else', () => {
    for (let n = 1; n <= many.length; n++) {
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(many.slice(0, n), i);
        expect(verifyInclusion(many[i]!, i, n, proof, roots[n]!)).toBe(true);
        expect(verifyInclusion(flipped(many[i]!), i, n, proof, roots[n]!)).toBe(false);
        expect(verifyInclusion(many[i]!, i, n, proof, flipped(roots[n]!))).toBe(false);
        // The size only steers left/right; the signed root is what binds it. A proof for one tree
        // must not pass for the next tree.
        if (n < many.length) expect(verifyInclusion(many[i]!, i, n + 1, proof, roots[n + 1]!)).toBe(false);
        expect(verifyInclusion(many[i]!, n, n, proof, roots[n]!)).toBe(false);
        if (n > 1) {
          expect(verifyInclusion(many[(i + 1) % n]!, i, n, proof, roots[n]!)).toBe(false);
          expect(verifyInclusion(many[i]!, (i + 1) % n, n, proof, roots[n]!)).toBe(false);
          expect(verifyInclusion(many[i]!, i, n, proof.slice(0, -1), roots[n]!)).toBe(false);
          expect(verifyInclusion(many[i]!, i, n, [...proof, many[0]!], roots[n]!)).toBe(false);
          expect(verifyInclusion(many[i]!, i, n, [flipped(proof[0]!), ...proof.slice(1)], roots[n]!)).toBe(
            false,
          );
        }
      }
    }
  });
});

describe('consistency proofs for every pair of sizes up to 40', () => {
  it('verify for the right roots and sizes, and for nothing else', () => {
    for (let n = 0; n <= many.length; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(many.slice(0, n), m);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof)).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, flipped(roots[m]!), roots[n]!, proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m]!, flipped(roots[n]!), proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1))).toBe(false);
          expect(verifyConsistency(m, n, roots[m]!, roots[n]!, [...proof, many[0]!])).toBe(false);
          expect(verifyConsistency(m, n, roots[m]!, roots[n]!, [flipped(proof[0]!), ...proof.slice(1)])).toBe(
            false,
          );
          expect(verifyConsistency(n, m, roots[n]!, roots[m]!, proof)).toBe(false);
          if (m + 1 < n) expect(verifyConsistency(m + 1, n, roots[m + 1]!, roots[n]!, proof)).toBe(false);
        }
      }
    }
  });

  it('refuses a proof between a tree and one that rewrote its history', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 40 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n - 1 }))),
        fc.nat(),
        ([n, m], pick) => {
          const rewritten = many.slice(0, n);
          const at = pick % m;
          rewritten[at] = flipped(rewritten[at]!);
          const proof = consistencyProof(rewritten, m);
          expect(verifyConsistency(m, n, roots[m]!, rootHash(rewritten), proof)).toBe(false);
        },
      ),
    );
  });

  it('treats equal sizes and the empty old tree as the degenerate cases', () => {
    expect(verifyConsistency(4, 4, roots[4]!, roots[4]!, [])).toBe(true);
    expect(verifyConsistency(4, 4, roots[4]!, roots[5]!, [])).toBe(false);
    expect(verifyConsistency(4, 4, roots[4]!, roots[4]!, [roots[4]!])).toBe(false);
    expect(verifyConsistency(0, 8, EMPTY_ROOT, roots[8]!, [])).toBe(true);
    expect(verifyConsistency(0, 8, roots[1]!, roots[8]!, [])).toBe(false);
  });

  it('refuses out-of-range requests and short hashes', () => {
    expect(() => inclusionProof(many.slice(0, 8), 8)).toThrow('expected a leaf index from 0 to 7, found 8');
    expect(() => consistencyProof(many.slice(0, 8), 9)).toThrow('expected an old size from 0 to 8, found 9');
    const proof = inclusionProof(many.slice(0, 8), 3);
    expect(verifyInclusion(many[3]!.slice(0, 31), 3, 8, proof, roots[8]!)).toBe(false);
    expect(
      verifyConsistency(3, 8, roots[3]!.slice(1), roots[8]!, consistencyProof(many.slice(0, 8), 3)),
    ).toBe(false);
  });
});
