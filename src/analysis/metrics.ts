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
