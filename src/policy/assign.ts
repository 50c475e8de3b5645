import type { PolicyArm } from '../shared/jump-event.js';
import type { PolicyMode } from '../shared/config.js';

/** Label evidence of one arm: labeled jumps and how many were labeled good. */
export interface ArmEvidence {
  labels: number;
  good: number;
}

export interface ArmChoice {
  arm: PolicyArm;
  /** Probability with which this arm was drawn (1 for a deterministic rule). */
  probability: number;
  reason: string;
}

/** Below this many labels on either arm, `auto` splits 50/50 instead of exploiting. */
export const WARMUP_LABELS = 30;

/**
 * Draws the arm of a new session. Pure: the random source is an argument.
 * - `baseline`: always baseline.
 * - `rl`: rl when a model exists, else baseline (reason "no model").
 * - `auto`: baseline without a model; with one, 50/50 while either arm has fewer than
 *   WARMUP_LABELS labels; then epsilon-greedy: with probability eps a uniformly random arm,
 *   otherwise the arm with the higher good-label rate (ties go to baseline, the safe arm).
 */
export function chooseArm(input: {
  mode: PolicyMode;
  eps: number;
  modelVersion: string | null;
  evidence: Record<PolicyArm, ArmEvidence>;
  rand: () => number;
}): ArmChoice {
  const { mode, eps, modelVersion, evidence, rand } = input;
  if (mode === 'baseline') return { arm: 'baseline', probability: 1, reason: 'mode baseline' };
  if (modelVersion === null) return { arm: 'baseline', probability: 1, reason: 'no model' };
  if (mode === 'rl') return { arm: 'rl', probability: 1, reason: 'mode rl' };

  const b = evidence.baseline;
  const r = evidence.rl;
  if (b.labels < WARMUP_LABELS || r.labels < WARMUP_LABELS) {
    return { arm: rand() < 0.5 ? 'baseline' : 'rl', probability: 0.5, reason: `warm-up: an arm has fewer than ${WARMUP_LABELS} labels` };
  }
  const rateB = b.good / b.labels;
  const rateR = r.good / r.labels;
  const best: PolicyArm = rateR > rateB ? 'rl' : 'baseline';
  const other: PolicyArm = best === 'rl' ? 'baseline' : 'rl';
  const pBest = 1 - eps + eps / 2;
  const arm = rand() < eps ? (rand() < 0.5 ? best : other) : best;
  return {
    arm,
    probability: arm === best ? pBest : eps / 2,
    reason: `epsilon-greedy: good rate baseline ${rateB.toFixed(3)}, rl ${rateR.toFixed(3)}`,
  };
}
