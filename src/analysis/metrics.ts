/**
 * Beat-tracking evaluation: the standard F-measure (as in mir_eval.beat.f_measure): an estimated beat is a hit
 * when it lies within ±window seconds of a reference beat, each reference matched at most once.
 */

export const DEFAULT_F_WINDOW_S = 0.07;

export interface FMeasure {
  readonly precision: number;
  readonly recall: number;
  readonly f: number;
  /** Number of one-to-one matches. */
  readonly hits: number;
}

/**
 * Maximum one-to-one matching of two sorted time lists within ±window (a greedy two-pointer sweep is optimal
 * for intervals on a line). Precondition: both lists sorted ascending, window >= 0. Cost O(n + m).
 */
export function countMatches(reference: readonly number[], estimated: readonly number[], window: number): number {
  let i = 0;
  let j = 0;
  let hits = 0;
  while (i < reference.length && j < estimated.length) {
    const d = estimated[j] - reference[i];
    if (Math.abs(d) <= window + 1e-12) {
      hits++;
      i++;
      j++;
    } else if (d < 0) j++;
    else i++;
  }
  return hits;
}

/**
 * Beat F-measure. Both lists are sorted here (copies). As in mir_eval, an empty reference or estimate gives 0.
 * Cost O(n log n + m log m).
 */
export function beatFMeasure(reference: readonly number[], estimated: readonly number[], window = DEFAULT_F_WINDOW_S): FMeasure {
  if (reference.length === 0 || estimated.length === 0) return { precision: 0, recall: 0, f: 0, hits: 0 };
  const r = [...reference].sort((a, b) => a - b);
  const e = [...estimated].sort((a, b) => a - b);
  const hits = countMatches(r, e, window);
  const precision = hits / e.length;
  const recall = hits / r.length;
  const f = hits === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f, hits };
}

/** mir_eval skips the first 5 s of both beat lists before scoring (the tracker's warm-up is not judged). */
export const MIN_BEAT_TIME_S = 5;
/** mir_eval's continuity tolerances, as fractions of the reference inter-beat interval. */
export const CONTINUITY_PHASE = 0.175;
export const CONTINUITY_PERIOD = 0.175;

/** Beats at or after `minTime` (mir_eval.beat.trim_beats). Cost O(n). */
export function trimBeatTimes(beats: readonly number[], minTime = MIN_BEAT_TIME_S): number[] {
  return beats.filter((t) => t >= minTime);
}

export interface Continuity {
  /** Longest correct run / beats, at the annotated level (CMLc). */
  readonly cmlc: number;
  /** All correct beats / beats, at the annotated level (CMLt). */
  readonly cmlt: number;
  /** CMLc allowing double / half tempo and off-beat (AMLc). */
  readonly amlc: number;
  /** CMLt allowing double / half tempo and off-beat (AMLt). */
  readonly amlt: number;
}

/** The reference at the annotated level, off-beat, double tempo, and half tempo (both phases), as mir_eval builds them. */
function variations(ref: readonly number[]): number[][] {
  const dbl: number[] = [];
  for (let i = 0; i < ref.length; i++) {
    dbl.push(ref[i]);
    if (i + 1 < ref.length) dbl.push((ref[i] + ref[i + 1]) / 2);
  }
  return [ref.slice(), dbl.filter((_, k) => k % 2 === 1), dbl, ref.filter((_, k) => k % 2 === 0), ref.filter((_, k) => k % 2 === 1)];
}

/** mir_eval's per-variation continuity: [longest run, total] over max(#ref, #est). */
function continuityOne(ref: readonly number[], est: readonly number[], phaseTol: number, periodTol: number): [number, number] {
  const nA = Math.max(ref.length, est.length);
  if (ref.length < 2 || est.length < 2) return [0, 0];
  const used = new Uint8Array(ref.length);
  const ok = new Uint8Array(est.length);
  for (let m = 0; m < est.length; m++) {
    let nearest = 0;
    for (let k = 1; k < ref.length; k++) if (Math.abs(est[m] - ref[k]) < Math.abs(est[m] - ref[nearest])) nearest = k;
    if (used[nearest]) continue;
    const minDiff = Math.abs(est[m] - ref[nearest]);
    let refInt: number;
    let estInt: number;
    if (m === 0 || nearest === 0) {
      refInt = nearest + 1 < ref.length ? ref[nearest + 1] - ref[nearest] : ref[nearest] - ref[nearest - 1];
      estInt = m + 1 < est.length ? est[m + 1] - est[m] : est[m] - est[m - 1];
    } else {
      refInt = ref[nearest] - ref[nearest - 1];
      estInt = est[m] - est[m - 1];
    }
    if (!(refInt > 0)) continue;
    const phase = minDiff / refInt;
    const period = Math.abs(1 - estInt / refInt);
    if (phase < phaseTol && period < periodTol) {
      used[nearest] = 1;
      ok[m] = 1;
    }
  }
  let longest = 0;
  let run = 0;
  let total = 0;
  for (let m = 0; m < est.length; m++) {
    if (ok[m]) {
      run++;
      total++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  return [longest / nA, total / nA];
}

/**
 * Continuity-based beat accuracy (Hainsworth; Klapuri et al.), exactly mir_eval.beat.continuity: an estimated
 * beat is correct when it is within 17.5 % of the reference interval of its nearest unused reference beat and
 * its own interval is within 17.5 % of the reference interval. Precondition: both lists sorted. Cost O(n * m).
 */
export function continuity(reference: readonly number[], estimated: readonly number[], phaseTol = CONTINUITY_PHASE, periodTol = CONTINUITY_PERIOD): Continuity {
  if (reference.length === 0 || estimated.length === 0) return { cmlc: 0, cmlt: 0, amlc: 0, amlt: 0 };
  const res = variations(reference).map((r) => continuityOne(r, estimated, phaseTol, periodTol));
  return {
    cmlc: res[0][0],
    cmlt: res[0][1],
    amlc: Math.max(...res.map((r) => r[0])),
    amlt: Math.max(...res.map((r) => r[1])),
  };
}

/** Tempo accuracy tolerance (MIREX): within 4 % of the reference. */
export const TEMPO_TOLERANCE = 0.04;

/**
 * Tempo accuracy 1 (within 4 % of the reference) and 2 (also at 2x, 1/2x, 3x or 1/3x, the octave errors).
 * Precondition: reference > 0. An estimate <= 0 is wrong on both. Cost O(1).
 */
export function tempoAccuracy(referenceBpm: number, estimatedBpm: number, tol = TEMPO_TOLERANCE): { acc1: boolean; acc2: boolean } {
  if (!(estimatedBpm > 0)) return { acc1: false, acc2: false };
  const near = (f: number): boolean => Math.abs(estimatedBpm - f * referenceBpm) <= tol * f * referenceBpm;
  return { acc1: near(1), acc2: [1, 2, 0.5, 3, 1 / 3].some(near) };
}
