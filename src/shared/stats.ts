/**
 * Small statistics shared by telemetry (label rates) and off-policy evaluation (small-sample intervals).
 * Pure functions.
 */

/**
 * Wilson score interval of a binomial proportion (default 95 %, z = 1.96). Well-behaved at 0 and n
 * successes and for small n, unlike the normal approximation. n = 0 gives [0, 1]. `successes` may be
 * fractional (a weighted count: p̂ · effective n).
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): [number, number] {
  if (n <= 0) return [0, 1];
  const p = Math.min(1, Math.max(0, successes / n));
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Quantile of the standard normal distribution (Acklam's rational approximation, relative error below
 * 1.2e-9 over (0, 1)). normalQuantile(0.975) ≈ 1.959964. Throws RangeError outside (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1) (got ${p})`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The textbook success–failure condition for a normal (or resampling) interval of a proportion. */
export const MIN_EXPECTED_COUNT = 10;

/**
 * An interval [low, high] for a mean of rewards in [0, 1], widened to contain the Wilson interval of
 * `estimate` at `effectiveN` observations when fewer than MIN_EXPECTED_COUNT successes or failures are
 * expected there (effectiveN · min(p̂, 1 − p̂) < 10).
 *
 * Why: an off-policy value rests on the decisions that carry the target's weight. When those are few and
 * their rewards rare (a dwell length the logging policy plays only at its floor, say), every resample
 * looks alike and the bootstrap interval collapses around the estimate; the Wilson interval at the
 * effective sample size knows that 0 successes in 30 tries is still consistent with a rate of 0.1.
 * Where the condition holds the interval is left alone, so a good reward model keeps its narrower DR
 * interval.
 */
export function smallSampleWidened(low: number, high: number, estimate: number, effectiveN: number, z: number): { low: number; high: number } {
  if (!Number.isFinite(estimate)) return { low, high };
  const p = Math.min(1, Math.max(0, estimate));
  if (effectiveN * Math.min(p, 1 - p) >= MIN_EXPECTED_COUNT) return { low, high };
  const [wl, wh] = wilsonInterval(p * effectiveN, effectiveN, z);
  return { low: Math.min(low, wl), high: Math.max(high, wh) };
}
