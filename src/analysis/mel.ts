/**
 * A sparse triangular mel filterbank (HTK mel formula, each triangle normalized to unit area so bands
 * of different width are comparable) and the DCT that turns log-mel into MFCC.
 */

export interface MelBank {
  readonly nMels: number;
  /** First FFT bin of band m. */
  readonly start: Int32Array;
  /** Offsets of band m's weights in `weights` (length nMels + 1). */
  readonly offset: Int32Array;
  readonly weights: Float32Array;
}

export const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
export const melToHz = (m: number): number => 700 * (10 ** (m / 2595) - 1);

/**
 * Builds `nMels` triangles between fMin and fMax over the bins of an nFft-point spectrum at `sampleRate`.
 * Precondition: 0 <= fMin < fMax <= sampleRate / 2, nMels >= 1. Cost O(nMels * nFft).
 */
export function melFilterbank(nMels: number, nFft: number, sampleRate: number, fMin: number, fMax: number): MelBank {
  const nBins = nFft / 2 + 1;
  const binHz = sampleRate / nFft;
  const mMin = hzToMel(fMin);
  const mMax = hzToMel(fMax);
  const edges = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) edges[i] = melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1));
  const start = new Int32Array(nMels);
  const offset = new Int32Array(nMels + 1);
  const w: number[] = [];
  for (let m = 0; m < nMels; m++) {
    const lo = edges[m];
    const mid = edges[m + 1];
    const hi = edges[m + 2];
    const norm = 2 / (hi - lo);
    let first = -1;
    offset[m] = w.length;
    for (let k = 0; k < nBins; k++) {
      const f = k * binHz;
      if (f <= lo || f >= hi) {
        if (first >= 0) break;
        continue;
      }
      if (first < 0) first = k;
      w.push(norm * (f < mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid)));
    }
    // A band narrower than one bin would be empty: give it the nearest bin so it is never silent by construction.
    if (first < 0) {
      first = Math.min(nBins - 1, Math.round(mid / binHz));
      w.push(1);
    }
    start[m] = first;
  }
  offset[nMels] = w.length;
  return { nMels, start, offset, weights: Float32Array.from(w) };
}

/** Applies the bank to one power spectrum, writing nMels band powers into out[outOffset ..]. Cost O(total weights). */
export function applyMel(bank: MelBank, power: Float64Array, out: Float32Array, outOffset: number): void {
  const { start, offset, weights, nMels } = bank;
  for (let m = 0; m < nMels; m++) {
    let s = 0;
    const s0 = start[m];
    for (let j = offset[m], k = s0; j < offset[m + 1]; j++, k++) s += weights[j] * power[k];
    out[outOffset + m] = s;
  }
}

/**
 * Orthonormal DCT-II matrix (nCoef x n), row-major: mfcc = D * logMel. Row 0 is the scaled mean (overall loudness),
 * rows 1.. the spectral shape ("timbre"). Cost O(nCoef * n).
 */
export function dctMatrix(nCoef: number, n: number): Float64Array {
  const d = new Float64Array(nCoef * n);
  for (let k = 0; k < nCoef; k++) {
    const s = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++) d[k * n + i] = s * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  }
  return d;
}
