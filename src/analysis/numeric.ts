/**
 * Small pure numeric helpers shared by the analysis stages. All accept typed arrays or plain
 * number arrays and never return NaN for finite input (empty input gives the documented neutral value).
 */

export type NumArray = ArrayLike<number>;

/** Arithmetic mean; 0 for an empty array. Cost O(n). */
export function mean(x: NumArray): number {
  const n = x.length;
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  return s / n;
}

/** Sample standard deviation (n - 1 in the denominator, like numpy ddof=1); 0 when n < 2. Two-pass for stability. Cost O(n). */
export function std(x: NumArray): number {
  const n = x.length;
  if (n < 2) return 0;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m;
    s += d * d;
  }
  return Math.sqrt(s / (n - 1));
}

/**
 * Linear-interpolated percentile (numpy's default "linear" method), q in [0, 100]; 0 for empty input.
 * Cost O(n log n) (copies and sorts).
 */
export function percentile(x: NumArray, q: number): number {
  const n = x.length;
  if (n === 0) return 0;
  const s = Float64Array.from(x).sort();
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median (percentile 50). Cost O(n log n). */
export function median(x: NumArray): number {
  return percentile(x, 50);
}

/** Periodic-free symmetric Hann window of length n (n >= 1): w[i] = 0.5 - 0.5 cos(2 pi i / n), i.e. the "periodic" Hann that STFTs use. Cost O(n). */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/**
 * Sub-sample position of a peak by fitting a parabola through (i-1, i, i+1).
 * Precondition: 0 < i < y.length - 1; returns i itself at the edges or when the three points are collinear.
 * The offset is clamped to [-0.5, 0.5] so a malformed neighbourhood cannot move the peak to another bin. Cost O(1).
 */
export function parabolicPeak(y: NumArray, i: number): number {
  if (i <= 0 || i >= y.length - 1) return i;
  const a = y[i - 1];
  const b = y[i];
  const c = y[i + 1];
  const den = a - 2 * b + c;
  if (den === 0 || !Number.isFinite(den)) return i;
  const off = (0.5 * (a - c)) / den;
  return i + Math.max(-0.5, Math.min(0.5, off));
}

/** Index of the maximum (first one on ties); -1 for an empty array. Cost O(n). */
export function argmax(x: NumArray, from = 0, to = x.length): number {
  let best = -1;
  let bv = -Infinity;
  for (let i = Math.max(0, from); i < Math.min(to, x.length); i++) {
    if (x[i] > bv) {
      bv = x[i];
      best = i;
    }
  }
  return best;
}

/** Power ratio to decibels with a floor, never -Infinity: 10 log10(max(p, floor)). Cost O(1). */
export function powerToDb(p: number, floor = 1e-10): number {
  return 10 * Math.log10(p > floor ? p : floor);
}

/** Rounds to `digits` decimals, mapping non-finite to 0 so JSON never carries NaN. Cost O(1). */
export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Greatest common divisor of two non-negative integers. Cost O(log min(a, b)). */
export function gcd(a: number, b: number): number {
  a = Math.abs(Math.round(a));
  b = Math.abs(Math.round(b));
  while (b) [a, b] = [b, a % b];
  return a;
}
