/**
 * Stratified k-fold assignment from the seeded PRNG: rows are split into three strata (target below,
 * at, above 0.5), each stratum shuffled and dealt round-robin, so every fold sees both classes when each
 * class has at least k rows. Depends only on (targets, k, seed), never on the worker count.
 */
import { createRng, shuffleInPlace } from './prng.js';

/**
 * Fold index (0..k-1) per row. Precondition: 2 ≤ k ≤ y.length. Cost: O(n).
 */
export function assignFolds(y: Float64Array, k: number, seed: number): Int32Array {
  const rand = createRng(seed);
  const strata: number[][] = [[], [], []];
  for (let i = 0; i < y.length; i++) strata[y[i] < 0.5 ? 0 : y[i] > 0.5 ? 2 : 1].push(i);
  const fold = new Int32Array(y.length);
  let next = 0;
  for (const s of strata) {
    shuffleInPlace(s, rand);
    // Continue the deal across strata so small strata do not all land in fold 0.
    for (const i of s) fold[i] = next++ % k;
  }
  return fold;
}
