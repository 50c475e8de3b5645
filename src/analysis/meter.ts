import { standardizeColumns, zscore } from './standardize.js';

/**
 * Meter (3 or 4 beats per bar) and downbeat phase from beat-level features. Music repeats at the bar:
 * beats one and two bars apart sound more alike than beats at the other meter's bar lengths, so the meter
 * whose lags (m, 2m) give the smaller mean feature distance wins. Ties and short tracks default to 4.
 */

/** Fewer beats than this: not enough bars to tell, answer 4. */
const MIN_BEATS_FOR_METER = 24;
/** Meter 3 must beat meter 4 by this relative margin (4/4 is far more common). */
const THREE_MARGIN = 0.03;

/** Mean Euclidean distance between rows i and i + lag of a row-major matrix; Infinity if lag >= rows. Cost O(rows * dims). */
export function lagDistance(x: Float32Array, rows: number, dims: number, lag: number): number {
  if (lag >= rows) return Infinity;
  let s = 0;
  for (let i = 0; i + lag < rows; i++) {
    let d = 0;
    for (let k = 0; k < dims; k++) {
      const e = x[i * dims + k] - x[(i + lag) * dims + k];
      d += e * e;
    }
    s += Math.sqrt(d);
  }
  return s / (rows - lag);
}

/** Estimates the meter from beat features (rows = beats; e.g. mean log-mel per beat). Cost O(beats * dims). */
export function estimateMeter(features: Float32Array, rows: number, dims: number): 3 | 4 {
  if (rows < MIN_BEATS_FOR_METER) return 4;
  const z = standardizeColumns(features, rows, dims);
  const d4 = lagDistance(z, rows, dims, 4) + lagDistance(z, rows, dims, 8);
  const d3 = lagDistance(z, rows, dims, 3) + lagDistance(z, rows, dims, 6);
  return d3 < d4 * (1 - THREE_MARGIN) ? 3 : 4;
}

/**
 * Downbeat phase: the residue class (mod meter) of beats with the most "bar start" evidence — harmonic change
 * from the previous beat (chords change on the bar), low-band level (kick) and onset strength, each z-scored.
 * Returns bar positions (0 = downbeat) for every beat. Cost O(beats * (12 + meter)).
 */
export function barPositions(
  chroma: Float32Array,
  lowBandDb: ArrayLike<number>,
  onset: ArrayLike<number>,
  rows: number,
  meter: number,
): Uint8Array {
  const change = new Float64Array(rows);
  for (let i = 1; i < rows; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < 12; c++) {
      const a = chroma[(i - 1) * 12 + c];
      const b = chroma[i * 12 + c];
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    change[i] = na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 0;
  }
  const zc = zscore(change);
  const zl = zscore(lowBandDb);
  const zo = zscore(onset);
  const score = new Float64Array(meter);
  const count = new Float64Array(meter);
  for (let i = 0; i < rows; i++) {
    score[i % meter] += 2 * zc[i] + zl[i] + 0.5 * zo[i];
    count[i % meter]++;
  }
  let phase = 0;
  for (let p = 1; p < meter; p++) if (score[p] / (count[p] || 1) > score[phase] / (count[phase] || 1)) phase = p;
  const pos = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) pos[i] = (((i - phase) % meter) + meter) % meter;
  return pos;
}
