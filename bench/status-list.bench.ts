// Cost of the Token Status List on the read path: one status lookup in a decoded 1,000,000-entry
// 2-bit list (every verification of a license), decoding that list (each cache refresh of a
// relying party), the size of its published `lst` at ~1% revoked/suspended, and the cost of
// allocating an index (each issue).

import { STATUS_INVALID, STATUS_SUSPENDED, StatusList } from '#core/status-list.ts';
import { IndexPermutation } from '#core/status-list-allocation.ts';
import { seededRandom } from '../test/unit/status-list/seeded-random.ts';
import type { Figure } from './run.ts';

const ENTRIES = 1_000_000;
const SET_FRACTION = 0.01;
const LOOKUP_INDICES = 1 << 20;
const LOOKUP_SECONDS = 1;
const DECODE_RUNS = 21;
const ALLOCATIONS = 20_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

export async function run(): Promise<Record<string, Figure>> {
  // Seeded: the same list, the same figures' inputs, every run.
  const random = seededRandom(0x5eed);
  const list = StatusList.create(ENTRIES, 2);
  let set = 0;
  while (set < ENTRIES * SET_FRACTION) {
    const index = Math.floor(random() * ENTRIES);
    if (list.get(index) !== 0) continue;
    list.set(index, random() < 0.8 ? STATUS_INVALID : STATUS_SUSPENDED);
    set += 1;
  }
  const lst = list.toLst();
  const compressedBytes = Buffer.from(lst, 'base64url').length;

  // Decode: base64url + inflate + wrap, as a relying party does on each fetch.
  const decodeMs: number[] = [];
  let decoded = StatusList.fromLst(lst, 2);
  for (let run = 0; run < DECODE_RUNS + 3; run += 1) {
    const start = process.hrtime.bigint();
    decoded = StatusList.fromLst(lst, 2);
    if (run >= 3) decodeMs.push(seconds(start) * 1000);
  }
  if (decoded.size !== ENTRIES || !Buffer.from(decoded.bytes).equals(list.bytes)) {
    throw new Error('decoded list differs from the encoded one');
  }

  // Lookup: random indices, precomputed so the loop times get() and not the PRNG.
  const indices = new Uint32Array(LOOKUP_INDICES);
  for (let i = 0; i < LOOKUP_INDICES; i += 1) indices[i] = Math.floor(random() * ENTRIES);
  let checksum = 0;
  for (let i = 0; i < LOOKUP_INDICES; i += 1) checksum += decoded.get(indices[i]!);
  let expected = 0;
  for (let i = 0; i < LOOKUP_INDICES; i += 1) expected += list.get(indices[i]!);
  if (checksum !== expected || checksum === 0)
    throw new Error(`lookup checksum ${checksum}, expected ${expected}`);
  let lookups = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < LOOKUP_SECONDS) {
    for (let i = 0; i < LOOKUP_INDICES; i += 1) sink += decoded.get(indices[i]!);
    lookups += LOOKUP_INDICES;
    elapsed = seconds(start);
  }
  if (sink !== (lookups / LOOKUP_INDICES) * expected)
    throw new Error('lookup results changed between passes');

  // Allocation: one index from the keyed permutation over the same 1,000,000 entries.
  const permutation = new IndexPermutation(
    Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1),
    ENTRIES,
  );
  for (let p = 0; p < 1000; p += 1) permutation.indexAt(p);
  const allocStart = process.hrtime.bigint();
  const seen = new Set<number>();
  for (let p = 1000; p < 1000 + ALLOCATIONS; p += 1) seen.add(permutation.indexAt(p));
  const allocSeconds = seconds(allocStart);
  if (seen.size !== ALLOCATIONS) throw new Error('allocation repeated an index');

  return {
    status_lookup_per_s: {
      value: Math.round(lookups / elapsed),
      unit: 'lookups/s',
      target: '≥ 1000000',
    },
    status_list_decode_ms: {
      value: Number(median(decodeMs).toFixed(2)),
      unit: `ms (median of ${DECODE_RUNS}, 1M entries, 2 bits)`,
    },
    status_list_lst_bytes: {
      value: compressedBytes,
      unit: `bytes zlib (${lst.length} chars base64url; raw ${list.bytes.length}) at ${SET_FRACTION * 100}% set`,
    },
    status_index_allocation_per_s: {
      value: Math.round(ALLOCATIONS / allocSeconds),
      unit: 'indices/s (keyed Feistel, 1M-entry list)',
    },
  };
}
