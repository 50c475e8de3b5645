import { mulberry32 } from '../shared/prng.js';

/**
 * The one source of randomness in training: a small seeded PRNG (mulberry32), so fold
 * assignment and any shuffle are reproducible from `--seed` alone. Not cryptographic.
 */

/** Largest accepted seed; seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/**
 * A generator of uniform floats in [0, 1) from a uint32 seed.
 * Precondition: `seed` is an integer in [0, MAX_SEED]. Cost: O(1) per draw.
 */
export function createRng(seed: number): () => number {
  return mulberry32(seed);
}

/** Fisher–Yates shuffle in place. Cost: O(n) draws. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rand: () => number): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}
