import { argmax, mean, parabolicPeak } from './numeric.js';

/**
 * Global tempo from the autocorrelation of the onset envelope, weighted by a log-normal prior around
 * 120 BPM (librosa's start_bpm / std_bpm); a period's score also credits its double (a true beat period
 * repeats at 2P). The prior alone picks the metrical level closest to 120 BPM, which is wrong for 70 or
 * 180 BPM music, so an octave check follows (see EVEN_PULSE_RATIO).
 */

export const TEMPO_PRIOR_BPM = 120;
export const TEMPO_PRIOR_OCTAVES = 1;
export const MIN_BPM = 40;
export const MAX_BPM = 240;
/** Weight of the autocorrelation at twice the period in a period's score. */
const DOUBLE_PERIOD_WEIGHT = 0.5;
/**
 * Octave check (metrical level). From the prior-weighted pick, start one level slower (if it stays >= 60 BPM, so
 * a bar-level accent never wins) and step to the next faster level (half the period) while events half-way through the current period are nearly as
 * strong as those on it (halfPeriodRatio >= EVEN_PULSE_RATIO on a mildly compressed, loudness-like envelope):
 * kick and snare alternating are one pulse, loud drums with quiet off-beat hats / bass are not.
 * The faster level must stay <= FAST_LEVEL_MAX_BPM.
 */
const EVEN_PULSE_RATIO = 0.45;
const FAST_LEVEL_MAX_BPM = 200;
const SLOWEST_START_BPM = 60;
/** Gaussian smoothing (frames) of the envelope before autocorrelation, so a fractional period does not lose peak height. */
const SMOOTH_SIGMA = 1;

export interface TempoEstimate {
  /** Beats per minute (0 when the envelope carries no periodicity). */
  readonly bpm: number;
  /** Beat period in onset frames (fractional). */
  readonly periodFrames: number;
  /** Normalized autocorrelation at the period, in [-1, 1]: how clearly the envelope pulses. */
  readonly clarity: number;
}

/**
 * Autocorrelation r[l] = sum_t (x[t] - mean)(x[t + l] - mean) / sum_t (x[t] - mean)^2 for l = 0 .. maxLag
 * (r[0] = 1; all zeros for a constant input). Cost O(n * maxLag).
 */
export function autocorrelation(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  const m = mean(x);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = x[i] - m;
  const r = new Float64Array(maxLag + 1);
  for (let l = 0; l <= maxLag && l < n; l++) {
    let s = 0;
    for (let t = 0; t + l < n; t++) s += d[t] * d[t + l];
    r[l] = s;
  }
  const r0 = r[0];
  if (!(r0 > 0)) return new Float64Array(maxLag + 1);
  for (let l = 0; l <= maxLag; l++) r[l] /= r0;
  return r;
}

/** Log-normal prior weight of a tempo: exp(-0.5 * (log2(bpm / 120) / 1)^2). Precondition: bpm > 0. Cost O(1). */
export function tempoPrior(bpm: number): number {
  const z = Math.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES;
  return Math.exp(-0.5 * z * z);
}

/**
 * Estimates the tempo of an onset envelope sampled at `frameRate` frames per second. `pulseEnv` (default: env)
 * is the envelope the octave check weighs event strengths on; a less compressed one follows loudness better.
 * Cost O(n * maxLag) with maxLag about 2 * frameRate * 60 / MIN_BPM.
 */
export function estimateTempo(env: ArrayLike<number>, frameRate: number, pulseEnv?: ArrayLike<number>): TempoEstimate {
  const lagMin = Math.max(2, Math.floor((60 * frameRate) / MAX_BPM));
  const lagMax = Math.ceil((60 * frameRate) / MIN_BPM);
  const maxLag = 2 * lagMax + 2;
  if (env.length < 2 * lagMax) return { bpm: 0, periodFrames: 0, clarity: 0 };
  const r = autocorrelation(gaussianSmooth(env, SMOOTH_SIGMA), maxLag);
  let best = -1;
  let bestScore = 0;
  for (let l = lagMin; l <= lagMax; l++) {
    const l2 = 2 * l;
    const r2 = Math.max(r[l2 - 1], r[l2], r[l2 + 1]);
    const s = (Math.max(0, r[l]) + DOUBLE_PERIOD_WEIGHT * Math.max(0, r2)) * tempoPrior((60 * frameRate) / l);
    // Only local maxima of r are periods; a shoulder of a peak is not.
    if (s > bestScore && r[l] >= r[l - 1] && r[l] >= r[l + 1]) {
      bestScore = s;
      best = l;
    }
  }
  if (best < 0) {
    const i = argmax(r, lagMin, lagMax + 1);
    if (i < 0 || !(r[i] > 0)) return { bpm: 0, periodFrames: 0, clarity: 0 };
    best = i;
  }
  // Octave check: one level slower, then faster while the pulse is even at half the period.
  const pulse = pulseEnv ?? env;
  if ((60 * frameRate) / (2 * best) >= SLOWEST_START_BPM) {
    const slow = localPeakNear(r, 2 * best);
    if (slow > 0 && r[slow] > 0) best = slow;
  }
  for (;;) {
    const half = best / 2;
    if ((60 * frameRate) / half > FAST_LEVEL_MAX_BPM || half < lagMin) break;
    const h = localPeakNear(r, half);
    if (h < 0 || !(r[h] > 0) || halfPeriodRatio(pulse, parabolicPeak(r, best)) < EVEN_PULSE_RATIO) break;
    best = h;
  }
  const period = parabolicPeak(r, best);
  return { bpm: (60 * frameRate) / period, periodFrames: period, clarity: r[best] };
}

/** Index of the local maximum of r nearest to fractional lag `lag` within ±1 (or -1 if none). Cost O(1). */
function localPeakNear(r: Float64Array, lag: number): number {
  let bestI = -1;
  for (let i = Math.max(1, Math.floor(lag) - 1); i <= Math.min(r.length - 2, Math.ceil(lag) + 1); i++) {
    if (r[i] >= r[i - 1] && r[i] >= r[i + 1] && (bestI < 0 || r[i] > r[bestI])) bestI = i;
  }
  return bestI;
}

/** Convolution with a normalized Gaussian of std `sigma` samples (edges renormalized). Cost O(n * sigma). */
export function gaussianSmooth(x: ArrayLike<number>, sigma: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const half = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * half + 1);
  for (let i = -half; i <= half; i++) k[i + half] = Math.exp(-0.5 * (i / sigma) ** 2);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let w = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half); j++) {
      s += x[j] * k[j - i + half];
      w += k[j - i + half];
    }
    out[i] = s / w;
  }
  return out;
}

/**
 * Pulse evenness at half a period: folds the envelope modulo `period` (fractional frames) into a one-period
 * profile, then compares the profile half a period after its peak with the peak, both above the profile's
 * median (the floor between events). 1 = events of equal strength every period / 2 (the faster level is a real
 * pulse), 0 = nothing half-way. Cost O(n).
 */
export function halfPeriodRatio(env: ArrayLike<number>, period: number): number {
  const bins = Math.max(4, Math.round(period));
  const sum = new Float64Array(bins);
  const cnt = new Float64Array(bins);
  for (let t = 0; t < env.length; t++) {
    const ph = (t % period) / period;
    const b = Math.min(bins - 1, Math.floor(ph * bins));
    sum[b] += env[t];
    cnt[b]++;
  }
  const prof = new Float64Array(bins);
  for (let b = 0; b < bins; b++) prof[b] = cnt[b] > 0 ? sum[b] / cnt[b] : 0;
  const sorted = Float64Array.from(prof).sort();
  const base = sorted[bins >> 1];
  let a = 0;
  for (let b = 1; b < bins; b++) if (prof[b] > prof[a]) a = b;
  const peak = prof[a] - base;
  if (!(peak > 0)) return 0;
  const mid = a + bins / 2;
  let opp = -Infinity;
  for (let d = -1; d <= 1; d++) opp = Math.max(opp, prof[(((Math.round(mid) + d) % bins) + bins) % bins]);
  return Math.max(0, Math.min(1, (opp - base) / peak));
}
