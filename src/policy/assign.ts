import type { PolicyArm } from '../shared/jump-event.js';
import type { PolicyMode } from '../shared/config.js';

export interface ArmChoice {
  arm: PolicyArm;
  /** Probability with which this arm was drawn (1 for a deterministic rule). */
  probability: number;
  reason: string;
  /** Shadow mode: the baseline acts and the bandit's choice is logged beside it. */
  shadow: boolean;
}

/**
 * Draws the arm of a new session (sticky afterwards). Pure: the random source is an argument.
 * - `baseline`: always baseline.
 * - `rl`: always the bandit (it starts from a uniform cold-start policy, so it needs no model).
 * - `auto`: a baseline holdout: baseline with probability `holdout`, else the bandit.
 * - `shadow`: baseline acts; the bandit decides beside it and its choice and probabilities are logged.
 */
export function chooseArm(input: { mode: PolicyMode; holdout: number; rand: () => number }): ArmChoice {
  const { mode, holdout, rand } = input;
  if (mode === 'baseline') return { arm: 'baseline', probability: 1, reason: 'mode baseline', shadow: false };
  if (mode === 'rl') return { arm: 'rl', probability: 1, reason: 'mode rl', shadow: false };
  if (mode === 'shadow') return { arm: 'baseline', probability: 1, reason: 'shadow: the baseline acts, the bandit is logged beside it', shadow: true };
  if (holdout <= 0) return { arm: 'rl', probability: 1, reason: 'auto, no holdout', shadow: false };
  if (holdout >= 1) return { arm: 'baseline', probability: 1, reason: 'auto, holdout 1', shadow: false };
  const arm: PolicyArm = rand() < holdout ? 'baseline' : 'rl';
  return { arm, probability: arm === 'baseline' ? holdout : 1 - holdout, reason: `auto: baseline holdout ${holdout}`, shadow: false };
}
