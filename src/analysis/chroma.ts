/**
 * Chroma (12 pitch classes, C = 0) from a power spectrum: each FFT bin between CHROMA_FMIN and CHROMA_FMAX is
 * shared between the two nearest pitch classes by its fractional semitone position, weighted by magnitude
 * (not power, so one loud partial does not drown the rest of the chord).
 */

export const CHROMA_FMIN = 80;
export const CHROMA_FMAX = 5000;

export interface ChromaMap {
  readonly firstBin: number;
  /** Per bin from firstBin: lower pitch class, and the weight of that class (1 - weight goes to the next class). */
  readonly pc: Uint8Array;
  readonly w: Float32Array;
}

/** Precomputes the bin -> pitch-class map. Cost O(nFft). */
export function chromaMap(nFft: number, sampleRate: number): ChromaMap {
  const binHz = sampleRate / nFft;
  const firstBin = Math.max(1, Math.ceil(CHROMA_FMIN / binHz));
  const lastBin = Math.min(nFft / 2, Math.floor(CHROMA_FMAX / binHz));
  const n = Math.max(0, lastBin - firstBin + 1);
  const pc = new Uint8Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const f = (firstBin + i) * binHz;
    const midi = 69 + 12 * Math.log2(f / 440); // fractional MIDI note
    const lo = Math.floor(midi);
    pc[i] = ((lo % 12) + 12) % 12;
    w[i] = 1 - (midi - lo);
  }
  return { firstBin, pc, w };
}

/** Adds one frame's chroma (12 values) into acc[accOffset ..]. Cost O(bins in range). */
export function accumulateChroma(map: ChromaMap, power: Float64Array, acc: Float32Array, accOffset: number): void {
  const { firstBin, pc, w } = map;
  for (let i = 0; i < pc.length; i++) {
    const mag = Math.sqrt(power[firstBin + i]);
    const c = pc[i];
    acc[accOffset + c] += mag * w[i];
    acc[accOffset + ((c + 1) % 12)] += mag * (1 - w[i]);
  }
}
