/**
 * Tempo helpers shared by the tempogram stage (tempo-track.ts): the BPM range, the perceptual prior and the
 * envelope smoothing. The tempo itself is local now (tempogram.ts, tempo-track.ts), not one autocorrelation of
 * the whole track.
 */

export const TEMPO_PRIOR_BPM = 120;
export const TEMPO_PRIOR_OCTAVES = 1;
export const MIN_BPM = 40;
export const MAX_BPM = 240;

/** Log-normal prior weight of a tempo: exp(-0.5 * (log2(bpm / 120) / 1)^2). Precondition: bpm > 0. Cost O(1). */
export function tempoPrior(bpm: number): number {
  const z = Math.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES;
  return Math.exp(-0.5 * z * z);
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
