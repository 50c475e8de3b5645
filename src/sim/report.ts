/**
 * The simulation's scoring, pure: every jump decision of the bandit's sessions is scored for each arm by
 * its true value on the same context (counterfactual, so the arms are compared on the same beats):
 *   bandit (rl)  Σ_a π(a) p(a)  with the probabilities it actually used,
 *   baseline     p(b)           b = the baseline rule's choice (nearest first, rotating per source beat,
 *                              with the rotation state of the session),
 *   logistic     Σ_a π_log(a) p(a)  under the old quality model trained on the labels so far,
 *   oracle       max_a p(a)     (knows the taste).
 * Regret is Σ over decisions of (oracle − arm). Dwell decisions are scored the same way with p(keep).
 */
import { wilsonInterval } from '../shared/stats.js';

export const ARMS = ['baseline', 'rl', 'logistic', 'oracle'] as const;
export type SimArm = (typeof ARMS)[number];

export interface ScoredDecision {
  /** True value of each arm's choice at this decision. */
  readonly jump: Readonly<Record<SimArm, number>>;
  /** Same for the dwell after it. */
  readonly dwell: Readonly<Record<SimArm, number>>;
}

export interface ArmReport {
  /** Mean true p(good) of the jumps, over all decisions and over the last half. */
  true_reward: number;
  true_reward_last_half: number;
  /** Mean true p(good) per window of decisions, in order. */
  windows: number[];
  /** Cumulative regret against the oracle, over all decisions and over the last half. */
  regret: number;
  regret_last_half: number;
  /** Mean true p(keeps listening) of the dwell decisions. */
  dwell_true_reward: number;
  dwell_true_reward_last_half: number;
  /** Cumulative regret after each window (for the chart). */
  cumulative_regret: number[];
  good_labels?: { good: number; labels: number; rate: number | null; ci95: [number, number] | null };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Per-arm summary of decisions in order. Precondition: at least one decision. Cost O(n · arms). */
export function summarize(scored: readonly ScoredDecision[], windows = 10): Record<SimArm, ArmReport> {
  const n = scored.length;
  const half = Math.floor(n / 2);
  const size = Math.max(1, Math.ceil(n / windows));
  const out = {} as Record<SimArm, ArmReport>;
  for (const arm of ARMS) {
    const v = scored.map((s) => s.jump[arm]);
    const dv = scored.map((s) => s.dwell[arm]);
    const reg = scored.map((s) => s.jump.oracle - s.jump[arm]);
    const win: number[] = [];
    const cum: number[] = [];
    let acc = 0;
    for (let i = 0; i < n; i += size) {
      win.push(mean(v.slice(i, i + size)));
      acc += reg.slice(i, i + size).reduce((a, b) => a + b, 0);
      cum.push(acc);
    }
    out[arm] = {
      true_reward: mean(v),
      true_reward_last_half: mean(v.slice(half)),
      windows: win,
      regret: reg.reduce((a, b) => a + b, 0),
      regret_last_half: reg.slice(half).reduce((a, b) => a + b, 0),
      dwell_true_reward: mean(dv),
      dwell_true_reward_last_half: mean(dv.slice(half)),
      cumulative_regret: cum,
    };
  }
  return out;
}

/** Share of the baseline → oracle gap the arm closes: (arm − baseline) / (oracle − baseline); null without a gap. */
export function gapClosed(arm: number, baseline: number, oracle: number): number | null {
  const gap = oracle - baseline;
  return gap > 1e-9 ? (arm - baseline) / gap : null;
}

export function goodLabels(good: number, labels: number): NonNullable<ArmReport['good_labels']> {
  return { good, labels, rate: labels > 0 ? good / labels : null, ci95: labels > 0 ? wilsonInterval(good, labels) : null };
}
