import { dctMatrix } from './mel.js';

/**
 * Aggregation of frame-level features over beats. Beat k covers frames [b_k, b_{k+1}); the last beat
 * covers its median length. All outputs are flat row-major typed arrays (beats x dims).
 */

export const N_MFCC = 13;

export interface BeatFeatures {
  readonly nBeats: number;
  /** nBeats x 12, each row scaled so its max is 1 (0 row in silence). */
  readonly chroma: Float32Array;
  /** nBeats x 13. */
  readonly mfcc: Float32Array;
  /** nBeats x nMels: mean log-mel (dB) per beat, for meter and sections. */
  readonly melDb: Float32Array;
  readonly nMels: number;
  readonly loudnessStart: Float32Array;
  readonly loudnessMax: Float32Array;
  /** Raw onset strength at each beat (max over frames b - 1 .. b + 2). */
  readonly onset: Float32Array;
}

/** Frame span [lo, hi) of each beat. Precondition: beats strictly increasing, all < nFrames. Cost O(beats). */
export function beatSpans(beats: Int32Array, nFrames: number): Int32Array {
  const nb = beats.length;
  const spans = new Int32Array(2 * nb);
  let medLen = 1;
  if (nb > 1) {
    const d = new Float64Array(nb - 1);
    for (let i = 0; i < nb - 1; i++) d[i] = beats[i + 1] - beats[i];
    d.sort();
    medLen = Math.max(1, Math.round(d[(d.length - 1) >> 1]));
  }
  for (let i = 0; i < nb; i++) {
    const lo = beats[i];
    const hi = i + 1 < nb ? beats[i + 1] : Math.min(nFrames, lo + medLen);
    spans[2 * i] = lo;
    spans[2 * i + 1] = Math.max(lo + 1, hi);
  }
  return spans;
}

/**
 * Computes the per-beat features. melDb: frames x nMels (dB); frameChroma: frames x 12; frameDb: loudness
 * per frame (dBFS); env: onset envelope. Cost O(frames * (nMels + 12) + beats * 13 * nMels).
 */
export function beatSyncFeatures(
  beats: Int32Array,
  nFrames: number,
  melDb: Float32Array,
  nMels: number,
  frameChroma: Float32Array,
  frameDb: Float32Array,
  env: Float32Array,
): BeatFeatures {
  const nb = beats.length;
  const spans = beatSpans(beats, nFrames);
  const chroma = new Float32Array(nb * 12);
  const mel = new Float32Array(nb * nMels);
  const mfcc = new Float32Array(nb * N_MFCC);
  const loudnessStart = new Float32Array(nb);
  const loudnessMax = new Float32Array(nb);
  const onset = new Float32Array(nb);
  const dct = dctMatrix(N_MFCC, nMels);
  for (let i = 0; i < nb; i++) {
    const lo = spans[2 * i];
    const hi = Math.min(nFrames, spans[2 * i + 1]);
    const len = Math.max(1, hi - lo);
    let lmax = -Infinity;
    for (let t = lo; t < hi; t++) {
      for (let m = 0; m < nMels; m++) mel[i * nMels + m] += melDb[t * nMels + m];
      for (let c = 0; c < 12; c++) chroma[i * 12 + c] += frameChroma[t * 12 + c];
      if (frameDb[t] > lmax) lmax = frameDb[t];
    }
    for (let m = 0; m < nMels; m++) mel[i * nMels + m] /= len;
    let cmax = 0;
    for (let c = 0; c < 12; c++) cmax = Math.max(cmax, chroma[i * 12 + c]);
    for (let c = 0; c < 12; c++) chroma[i * 12 + c] = cmax > 0 ? chroma[i * 12 + c] / cmax : 0;
    for (let k = 0; k < N_MFCC; k++) {
      let s = 0;
      for (let m = 0; m < nMels; m++) s += dct[k * nMels + m] * mel[i * nMels + m];
      mfcc[i * N_MFCC + k] = s;
    }
    loudnessStart[i] = frameDb[Math.min(nFrames - 1, lo)];
    loudnessMax[i] = Number.isFinite(lmax) ? lmax : loudnessStart[i];
    let o = 0;
    for (let t = Math.max(0, lo - 1); t <= Math.min(nFrames - 1, lo + 2); t++) o = Math.max(o, env[t]);
    onset[i] = o;
  }
  return { nBeats: nb, chroma, mfcc, melDb: mel, nMels, loudnessStart, loudnessMax, onset };
}
