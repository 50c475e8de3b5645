/**
 * mulberry32: a tiny, fast, seeded PRNG (32-bit state) giving uniform floats in [0, 1). The one
 * seeded random source of the project (demo audio, fold assignment, benchmarks), so that a seed
 * reproduces a result exactly. Not cryptographic. Precondition: `seed` is a number (used mod 2^32).
 * Cost: O(1) per draw.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
