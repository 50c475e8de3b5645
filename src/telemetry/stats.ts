/**
 * Complementary error function, Numerical Recipes' Chebyshev fit (erfcc): fractional error below
 * 1.2e-7 everywhere. Cost O(1).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Upper tail P(X >= x) of a chi-square with 1 degree of freedom: erfc(sqrt(x / 2)). x >= 0. */
export function chiSquare1PValue(x: number): number {
  if (!(x > 0)) return 1;
  return erfc(Math.sqrt(x / 2));
}

export interface SrmResult {
  chi_square: number;
  p_value: number;
}

/**
 * Sample-ratio-mismatch test for two arms: Pearson chi-square of observed against expected
 * session counts (1 degree of freedom). Null when there is nothing random to test (an expected
 * count of 0 means every session was assigned deterministically).
 */
export function sampleRatioMismatch(observed: readonly number[], expected: readonly number[]): SrmResult | null {
  if (observed.length !== 2 || expected.length !== 2) throw new RangeError('sampleRatioMismatch expects two arms');
  if (expected.some((e) => !(e > 0))) return null;
  let chi = 0;
  for (let i = 0; i < 2; i++) chi += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return { chi_square: chi, p_value: chiSquare1PValue(chi) };
}

export { wilsonInterval } from '../shared/stats.js';
