import FFT from 'fft.js';
import { hannWindow } from './numeric.js';

/** Number of centered frames of an STFT: frame t is centered on sample t * hop (the signal is zero-padded by nFft / 2 on both sides, like librosa's center=True). */
export function frameCount(nSamples: number, hop: number): number {
  return nSamples <= 0 ? 0 : 1 + Math.floor(nSamples / hop);
}

/**
 * Short-time power spectra of a real signal, streamed: calls `onFrame(t, power)` for every centered frame,
 * where power[k] = |X_t[k]|^2 for k = 0 .. nFft / 2 under a periodic Hann window. `power` is reused between
 * calls (copy it to keep it). Streaming keeps memory at O(nFft) instead of O(frames * bins).
 * Precondition: nFft a power of two >= 4, hop >= 1. Cost O(frames * nFft log nFft).
 */
export function stftPower(
  x: Float32Array,
  nFft: number,
  hop: number,
  onFrame: (t: number, power: Float64Array) => void,
): number {
  const nFrames = frameCount(x.length, hop);
  const fft = new FFT(nFft);
  const win = hannWindow(nFft);
  const frame = new Float64Array(nFft);
  const spec = new Float64Array(2 * nFft);
  const nBins = nFft / 2 + 1;
  const power = new Float64Array(nBins);
  const half = nFft / 2;
  const n = x.length;
  for (let t = 0; t < nFrames; t++) {
    const start = t * hop - half;
    if (start >= 0 && start + nFft <= n) {
      for (let i = 0; i < nFft; i++) frame[i] = x[start + i] * win[i];
    } else {
      for (let i = 0; i < nFft; i++) {
        const idx = start + i;
        frame[i] = idx >= 0 && idx < n ? x[idx] * win[i] : 0;
      }
    }
    fft.realTransform(spec, frame);
    for (let k = 0; k < nBins; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      power[k] = re * re + im * im;
    }
    onFrame(t, power);
  }
  return nFrames;
}

/**
 * Mean square of the windowed frame from its half power spectrum (Parseval), normalized by the window's
 * energy so that a full-scale sine reads about 0.5 (-3 dB) whatever the FFT size. Cost O(nBins).
 */
export function frameMeanSquare(power: Float64Array, nFft: number, windowEnergy: number): number {
  const nb = power.length;
  let s = power[0] + power[nb - 1];
  for (let k = 1; k < nb - 1; k++) s += 2 * power[k];
  return s / (nFft * windowEnergy);
}
