/**
 * Synthetic labeled jumps drawn from a known logistic rule, for tests and the benchmark. The truth is a
 * weight per INPUT field (raw units), so tests can compare a trained model against it.
 */
import type { LabeledJump, Label } from './dataset.js';
import { createRng } from './prng.js';

export interface SyntheticTruth {
  readonly bias: number;
  /** Weight on similarity, on same_section (0/1), on chroma_distance, on timbre_distance. */
  readonly similarity: number;
  readonly same_section: number;
  readonly chroma_distance: number;
  readonly timbre_distance: number;
}

export const DEFAULT_TRUTH: SyntheticTruth = { bias: -1, similarity: 3, same_section: 0.8, chroma_distance: -2.5, timbre_distance: -0.15 };

/** True logit of a synthetic jump under `truth`. */
export function trueLogit(e: LabeledJump, truth: SyntheticTruth): number {
  const c = e.context ?? {};
  return (
    truth.bias +
    truth.similarity * (e.similarity ?? 0) +
    truth.same_section * (e.same_section ? 1 : 0) +
    truth.chroma_distance * (c.chroma_distance as number) +
    truth.timbre_distance * (c.timbre_distance as number)
  );
}

/**
 * `n` jumps with one hard label each (good with probability σ(true logit), else bad), or with
 * `labelsPerJump` labels each (soft targets). Deterministic in `seed`. Cost: O(n).
 */
export function syntheticJumps(n: number, seed: number, truth: SyntheticTruth = DEFAULT_TRUTH, labelsPerJump = 1): LabeledJump[] {
  const rand = createRng(seed);
  const out: LabeledJump[] = [];
  for (let i = 0; i < n; i++) {
    const span = Math.round((rand() - 0.5) * 400);
    const e: LabeledJump = {
      event_id: `e${String(i).padStart(7, '0')}`,
      similarity: rand(),
      span,
      same_section: rand() < 0.5,
      context: {
        n_beats: 600,
        bar_position_match: rand() < 0.7,
        loudness_delta_db: rand() * 6,
        timbre_distance: rand() * 10,
        chroma_distance: rand(),
        beat_duration_ratio: 1 + rand() * 0.2,
        // A missing field on some rows exercises the indicator columns.
        onset_mismatch: rand() < 0.2 ? null : rand(),
      },
      labels: [],
    };
    const p = 1 / (1 + Math.exp(-trueLogit(e, truth)));
    const labels: Label[] = [];
    for (let l = 0; l < labelsPerJump; l++) labels.push(rand() < p ? 'good' : 'bad');
    out.push({ ...e, labels });
  }
  return out;
}
