// A small seeded PRNG (mulberry32) so statistical tests are deterministic: same seed, same run.
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic "random" bytes from a seed, for allocation keys in tests. */
export function seededBytes(seed: number): (length: number) => Uint8Array {
  const next = seededRandom(seed);
  return (length) => Uint8Array.from({ length }, () => Math.floor(next() * 256));
}
