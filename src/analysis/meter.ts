import { zscore } from './standardize.js';
import type { Meter } from './types.js';

/**
 * Meter (2, 3 or 4 beats per bar) and the downbeat phase, both from one bar-line score (estimateMeterAndDownbeats).
 * Short tracks default to 4.
 */

/** Fewer beats than this: not enough bars to tell, answer 4. */
const MIN_BEATS_FOR_METER = 24;

/** Beats of harmony compared on each side of a candidate bar line (2: works for bars of 2, 3 and 4 beats). */
const CHANGE_SPAN = 2;
/** Cosine distance of a clear chord change between 2-beat chroma sums is about 0.2-0.6; no change about 0.02. */
const CHANGE_SCALE = 0.1;
/**
 * Meter 2 must beat meter 4's downbeat contrast by this factor. On the corpus the 4/4 tracks read c2 / c4 <= 0.83
 * and the 6/8 tracks (felt in two dotted-quarter beats) 0.63 and 1.43: one of the two is found, none of 4/4 lost.
 */
const TWO_FACTOR = 1.25;
/** Meter 2 also needs chords changing every 2 beats: a harmonic-change contrast of at least this (cosine distance). */
const TWO_MIN_CHANGE = 0.05;

/**
 * True when the harmony alone says "bars of 2": the best 2-beat contrast of the harmonic change is at least
 * TWO_MIN_CHANGE and above the best 4-beat one. A kick on 1 and 3 makes any 4/4 drum loop look like bars of 2
 * in the low band; chords changing every 2 beats do not happen in 4/4 with one chord per bar. (Thin on the
 * corpus: the 6/8 track found reads 0.067 against 0.052.)
 * Cost O(beats * 12).
 */
function harmonyInTwo(chroma: Float32Array, rows: number): boolean {
  const ch = harmonicChange(chroma, rows);
  let h2 = -Infinity;
  let h4 = -Infinity;
  for (let p = 0; p < 2; p++) h2 = Math.max(h2, downbeatContrast(ch, 2, p));
  for (let p = 0; p < 4; p++) h4 = Math.max(h4, downbeatContrast(ch, 4, p));
  return h2 >= TWO_MIN_CHANGE && h2 > Math.max(0, h4);
}

/** Meter 3 must beat meter 4's downbeat contrast by this factor (4/4 is far more common). */
const THREE_FACTOR = 1.15;

export interface MeterEstimate {
  readonly meter: Meter;
  /** Beat index residue (mod meter) of the downbeats. */
  readonly phase: number;
  /** Downbeat contrast of the chosen (meter, phase), and the best one of the other meter. */
  readonly contrast: number;
  readonly otherContrast: number;
  /** Bar position of every beat, 0 = downbeat. */
  readonly positions: Uint8Array;
}

/**
 * Bar-line evidence per beat: 2 x the harmonic change into the beat (centred, in units of CHANGE_SCALE; cosine
 * distance between the summed chroma of the CHANGE_SPAN beats before and the CHANGE_SPAN beats from it: chords
 * change on bar lines), + the z-scored low-band level (kick and bass notes mark downbeats). Onset strength is
 * deliberately not used: in most drum music the loudest onsets are the backbeat (snare on 2 and 4), and counting
 * them moved the downbeat onto beat 2 on the corpus (downbeat F 0.71 with it at weight 0.5, 0.77 without).
 * Cost O(beats * 12).
 */
export function downbeatEvidence(chroma: Float32Array, lowBandDb: ArrayLike<number>, rows: number): Float64Array {
  const change = harmonicChange(chroma, rows);
  // The harmonic change is centred but scaled by a fixed CHANGE_SCALE, not z-scored: on unpitched material
  // (drums alone) it is small noise, and z-scoring would blow that noise up to the weight of a real chord change.
  let mc = 0;
  for (let i = 0; i < rows; i++) mc += change[i];
  mc /= rows || 1;
  const zl = zscore(lowBandDb);
  const e = new Float64Array(rows);
  for (let i = 0; i < rows; i++) e[i] = (2 * (change[i] - mc)) / CHANGE_SCALE + zl[i];
  return e;
}

/**
 * Harmonic change into each beat: cosine distance between the summed chroma of the CHANGE_SPAN beats before and
 * the CHANGE_SPAN beats from it (0 for beat 0 and for silent sides). Cost O(beats * 12).
 */
export function harmonicChange(chroma: Float32Array, rows: number): Float64Array {
  const change = new Float64Array(rows);
  const a = new Float64Array(12);
  const b = new Float64Array(12);
  for (let i = 1; i < rows; i++) {
    a.fill(0);
    b.fill(0);
    for (let k = 1; k <= CHANGE_SPAN && i - k >= 0; k++) for (let c = 0; c < 12; c++) a[c] += chroma[(i - k) * 12 + c];
    for (let k = 0; k < CHANGE_SPAN && i + k < rows; k++) for (let c = 0; c < 12; c++) b[c] += chroma[(i + k) * 12 + c];
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < 12; c++) {
      dot += a[c] * b[c];
      na += a[c] * a[c];
      nb += b[c] * b[c];
    }
    change[i] = na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 0;
  }
  return change;
}

/** Mean evidence of beats i ≡ phase (mod m) minus the mean of the others. Cost O(beats). */
export function downbeatContrast(e: ArrayLike<number>, m: number, phase: number): number {
  let s1 = 0;
  let n1 = 0;
  let s0 = 0;
  let n0 = 0;
  for (let i = 0; i < e.length; i++) {
    if (i % m === phase) {
      s1 += e[i];
      n1++;
    } else {
      s0 += e[i];
      n0++;
    }
  }
  return n1 > 0 && n0 > 0 ? s1 / n1 - s0 / n0 : 0;
}

/**
 * Meter and downbeats together, from one score: for each meter m in {2, 3, 4} and phase p, the contrast between the
 * bar-line evidence on beats p, p + m, p + 2m, ... and on the other beats. In 4/4 music a 3-beat grid slides
 * across the bar, so its classes mix bar positions and the contrast stays near 0; the true meter and phase
 * stand out. Meter 3 needs THREE_FACTOR and meter 2 TWO_FACTOR times meter 4's contrast (4/4 is far more common,
 * and a 2-beat grid always has some contrast in 4/4); with fewer than MIN_BEATS_FOR_METER beats the
 * meter is 4 (the phase is still estimated). `forced` fixes the meter. Cost O(beats * 12).
 */
export function estimateMeterAndDownbeats(
  chroma: Float32Array,
  lowBandDb: ArrayLike<number>,
  rows: number,
  forced?: Meter,
): MeterEstimate {
  const e = downbeatEvidence(chroma, lowBandDb, rows);
  const best = (m: number): [number, number] => {
    let bp = 0;
    let bc = -Infinity;
    for (let p = 0; p < m; p++) {
      const c = downbeatContrast(e, m, p);
      if (c > bc) {
        bc = c;
        bp = p;
      }
    }
    return [bp, rows > 0 ? bc : 0];
  };
  const [p4, c4] = best(4);
  const [p3, c3] = best(3);
  const [p2, c2] = best(2);
  let meter: Meter;
  if (forced !== undefined) meter = forced;
  else if (rows < MIN_BEATS_FOR_METER) meter = 4;
  else if (c3 > 0 && c3 > THREE_FACTOR * Math.max(0, c4) && c3 >= c2) meter = 3;
  else if (c2 > 0 && c2 > TWO_FACTOR * Math.max(0, c4) && harmonyInTwo(chroma, rows)) meter = 2;
  else meter = 4;
  const phase = meter === 4 ? p4 : meter === 3 ? p3 : p2;
  const positions = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) positions[i] = (((i - phase) % meter) + meter) % meter;
  return { meter, phase, contrast: meter === 4 ? c4 : meter === 3 ? c3 : c2, otherContrast: meter === 4 ? Math.max(c3, c2) : c4, positions };
}
