import { gcd } from './numeric.js';

/**
 * Band-limited resampling by a polyphase windowed-sinc filter. For a rational ratio L/M (after
 * reducing by the gcd) with L <= MAX_PHASES the phases are exact; otherwise the fractional position
 * is quantized to MAX_PHASES phases (error far below what beat tracking can hear).
 */

/** Zero crossings of the sinc on each side, at the lower of the two rates. 8 keeps the stop band near -60 dB with a Blackman window, at 2 * 8 / min(1, L/M) taps per output sample. */
const HALF_ZERO_CROSSINGS = 8;
const MAX_PHASES = 1024;

/**
 * Resamples `x` from `fromRate` to `toRate` (both positive). Output length = floor(n * toRate / fromRate).
 * Returns a copy when the rates are equal. Each phase's taps are normalized to unit DC gain, so a constant
 * signal stays constant. Cost O(n_out * taps), taps = 2 * 8 * max(1, fromRate / toRate).
 */
export function resample(x: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return x.slice();
  const g = gcd(fromRate, toRate) || 1;
  const L = Math.round(toRate / g); // up factor
  const M = Math.round(fromRate / g); // down factor
  const nOut = Math.floor((x.length * toRate) / fromRate);
  const out = new Float32Array(nOut);
  if (nOut === 0 || x.length === 0) return out;

  const fc = Math.min(1, L / M); // cutoff relative to the input Nyquist
  const half = Math.ceil(HALF_ZERO_CROSSINGS / fc); // taps on each side, in input samples
  const taps = 2 * half;
  const phases = L <= MAX_PHASES ? L : MAX_PHASES;
  // table[p * taps + k] weights input sample (i0 - half + 1 + k) for fractional position p / phases.
  const table = new Float64Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const t = k - half + 1 - frac; // distance from the output instant, in input samples
      const u = t / (half + 1); // window argument in (-1, 1)
      const win = Math.abs(u) >= 1 ? 0 : 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
      const arg = Math.PI * fc * t;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      const v = sinc * win;
      table[p * taps + k] = v;
      sum += v;
    }
    for (let k = 0; k < taps; k++) table[p * taps + k] /= sum;
  }

  // Sparse taps: at a 2:1 ratio every other sinc tap is an exact zero (half-band filter); skipping them halves the work.
  const tapOff = new Int32Array(phases * taps);
  const tapW = new Float64Array(phases * taps);
  const tapCount = new Int32Array(phases);
  for (let p = 0; p < phases; p++) {
    let c = 0;
    for (let k = 0; k < taps; k++) {
      const v = table[p * taps + k];
      if (Math.abs(v) < 1e-12) continue;
      tapOff[p * taps + c] = k;
      tapW[p * taps + c] = v;
      c++;
    }
    tapCount[p] = c;
  }

  const n = x.length;
  const exact = phases === L;
  for (let j = 0; j < nOut; j++) {
    // Input position of output sample j is j * M / L; integer and fractional parts without drift.
    const num = j * M;
    const i0 = Math.floor(num / L);
    const p = exact ? num - i0 * L : Math.min(phases - 1, Math.round(((num - i0 * L) / L) * phases));
    const base = p * taps;
    const cnt = tapCount[p];
    const start = i0 - half + 1;
    let acc = 0;
    if (start >= 0 && start + taps <= n) {
      for (let k = 0; k < cnt; k++) acc += x[start + tapOff[base + k]] * tapW[base + k];
    } else {
      for (let k = 0; k < cnt; k++) {
        const idx = start + tapOff[base + k];
        if (idx >= 0 && idx < n) acc += x[idx] * tapW[base + k];
      }
    }
    out[j] = acc;
  }
  return out;
}
