import { hash } from 'node:crypto';

// Stable shard routing: the shard of a key is the first four bytes of SHA-256(UTF-8 key), read
// as a big-endian unsigned 32-bit integer, modulo the shard count. It depends on nothing but
// the key and the count — not on the process, the platform, the JS engine's string hash or a
// random seed — so every function, the CDK stack, a migration script and a later reader agree
// on where an item lives. SHA-256 spreads any key set evenly, including sequential serials
// from one issuer. The modulo bias of 2^32 mod N is below 1e-8 for N ≤ 64.

/** Largest shard count routing supports; stage configuration allows at most 64. */
export const MAX_SHARDS = 1024;

/** The shard in [0, shards) that `key` routes to. */
export function stableShard(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new RangeError(`expected a shard count from 1 to ${MAX_SHARDS}, found ${shards}`);
  }
  return hash('sha256', key, 'buffer').readUInt32BE(0) % shards;
}
