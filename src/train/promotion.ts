/**
 * The promotion rule: a new model replaces the active one only when its held-out (cross-validated)
 * log-loss beats the similarity-only baseline on the same folds by a margin, so noise in a small label
 * set cannot promote a model that merely matches the baseline.
 */
import type { MetricSet } from './metrics.js';

/** Minimum absolute improvement in held-out log-loss, in nats. */
export const PROMOTION_MIN_NATS = 0.01;
/** Minimum relative improvement (fraction of the baseline's held-out log-loss). */
export const PROMOTION_MIN_RELATIVE = 0.02;

/**
 * Promoted iff baseline − model ≥ max(PROMOTION_MIN_NATS, PROMOTION_MIN_RELATIVE · baseline), i.e. BOTH
 * margins hold. Returns the decision and a one-line reason for the CLI.
 */
export function decidePromotion(model: MetricSet, baseline: MetricSet): { promoted: boolean; reason: string } {
  const gain = baseline.log_loss - model.log_loss;
  const margin = Math.max(PROMOTION_MIN_NATS, PROMOTION_MIN_RELATIVE * baseline.log_loss);
  const nums = `held-out log-loss ${model.log_loss.toFixed(4)} vs baseline ${baseline.log_loss.toFixed(4)}`;
  if (!Number.isFinite(gain)) return { promoted: false, reason: `kept as candidate: metrics not finite (${nums})` };
  return gain >= margin
    ? { promoted: true, reason: `promoted: ${nums}, improvement ${gain.toFixed(4)} ≥ margin ${margin.toFixed(4)} nats` }
    : { promoted: false, reason: `kept as candidate: ${nums}, improvement ${gain.toFixed(4)} < required margin ${margin.toFixed(4)} nats` };
}
