import { mean, std } from './numeric.js';

/**
 * Sections by Foote novelty: a Gaussian-tapered checkerboard kernel slid along the diagonal of the beat
 * self-similarity matrix (cosine of standardized feature rows) peaks where the past and the future of a beat
 * are each self-similar but unlike each other. Boundaries are novelty peaks; segments are then labelled by
 * comparing their mean features, so repeats share a label.
 */

/** Half-width of the checkerboard kernel in beats (shrinks for short tracks). */
const KERNEL_HALF = 16;
/** Shortest section in beats. */
const MIN_SECTION = 16;
/** Peak must exceed mean + this many std of the novelty curve. */
const PEAK_Z = 0.5;
/** Cosine similarity of mean features above which two segments share a label. */
const SAME_LABEL_COS = 0.8;

export interface SectionSpan {
  start: number;
  end: number;
  label: string;
}

/** L2-normalizes every row in place (zero rows stay zero). Cost O(rows * dims). */
export function normalizeRows(x: Float32Array, rows: number, dims: number): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < dims; k++) s += x[r * dims + k] ** 2;
    const n = Math.sqrt(s);
    if (n > 0) for (let k = 0; k < dims; k++) x[r * dims + k] /= n;
  }
}

/**
 * Novelty curve of unit-norm rows: only the band |i - j| < 2 * half of the SSM is ever touched, so the cost is
 * O(rows * half^2 * dims) with no n^2 matrix.
 */
export function noveltyCurve(x: Float32Array, rows: number, dims: number, half: number): Float64Array {
  const nov = new Float64Array(rows);
  if (half < 1) return nov;
  const g = new Float64Array(2 * half);
  const sigma = half / 2;
  for (let a = -half; a < half; a++) g[a + half] = Math.exp(-0.5 * ((a + 0.5) / sigma) ** 2);
  for (let i = half; i + half <= rows; i++) {
    let s = 0;
    for (let a = -half; a < half; a++) {
      const ra = (i + a) * dims;
      for (let b = a + 1; b < half; b++) {
        const rb = (i + b) * dims;
        let dot = 0;
        for (let k = 0; k < dims; k++) dot += x[ra + k] * x[rb + k];
        const sign = (a < 0) === (b < 0) ? 1 : -1;
        s += 2 * sign * g[a + half] * g[b + half] * dot;
      }
    }
    nov[i] = s;
  }
  return nov;
}

/** Section boundaries and labels from unit-norm beat feature rows. Always returns >= 1 section when rows > 0. Cost O(rows * half^2 * dims). */
export function findSections(x: Float32Array, rows: number, dims: number): SectionSpan[] {
  if (rows === 0) return [];
  const half = Math.min(KERNEL_HALF, Math.floor(rows / 4));
  const nov = noveltyCurve(x, rows, dims, half);
  const thr = mean(nov) + PEAK_Z * std(nov);
  const bounds = [0];
  const win = Math.max(1, Math.floor(MIN_SECTION / 2));
  for (let i = MIN_SECTION; i <= rows - MIN_SECTION; i++) {
    if (nov[i] <= thr) continue;
    let isMax = true;
    for (let j = Math.max(0, i - win); j <= Math.min(rows - 1, i + win); j++) {
      if (nov[j] > nov[i] || (nov[j] === nov[i] && j < i)) {
        isMax = false;
        break;
      }
    }
    if (isMax && i - bounds[bounds.length - 1] >= MIN_SECTION) bounds.push(i);
  }
  bounds.push(rows);
  // Mean feature vector per segment, then greedy labelling against earlier labels' representatives.
  const reps: Float64Array[] = [];
  const out: SectionSpan[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const lo = bounds[s];
    const hi = bounds[s + 1];
    const m = new Float64Array(dims);
    for (let r = lo; r < hi; r++) for (let k = 0; k < dims; k++) m[k] += x[r * dims + k];
    let nrm = 0;
    for (let k = 0; k < dims; k++) nrm += m[k] * m[k];
    nrm = Math.sqrt(nrm);
    if (nrm > 0) for (let k = 0; k < dims; k++) m[k] /= nrm;
    let label = -1;
    let bestCos = SAME_LABEL_COS;
    for (let l = 0; l < reps.length; l++) {
      let dot = 0;
      for (let k = 0; k < dims; k++) dot += reps[l][k] * m[k];
      if (dot > bestCos) {
        bestCos = dot;
        label = l;
      }
    }
    if (label < 0) {
      label = reps.length;
      reps.push(m);
    }
    out.push({ start: lo, end: hi, label: labelName(label) });
  }
  return out;
}

/** 0 -> 'A', 25 -> 'Z', 26 -> 'AA', ... Cost O(log n). */
export function labelName(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}
