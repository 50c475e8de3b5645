import type { StoreApi } from '../store/index.js';
import { wilsonInterval } from '../shared/stats.js';

export interface ArmReport {
  arm: string;
  sessions: number;
  events: number;
  labels: number;
  good: number;
  /** Share of this arm's labels that are `good`, with its 95 % Wilson interval (null without labels). */
  good_rate: number | null;
  good_rate_ci95: [number, number] | null;
}

export interface ModelReport {
  version: string;
  created_at: string;
  n_examples: number;
  training_ms: number;
  metrics: unknown;
}

/**
 * The comparison that tells whether the learned arm is better: per arm, sessions, events, labels
 * and the good-label rate with a 95 % Wilson interval (overlapping intervals mean "not yet shown").
 */
export async function armReports(store: StoreApi): Promise<ArmReport[]> {
  const [counts, evidence] = await Promise.all([store.telemetry.perArm(), store.policy.armEvidence()]);
  return counts
    .filter((c) => c.arm === 'baseline' || c.arm === 'rl')
    .map((c) => {
      const e = evidence[c.arm as 'baseline' | 'rl'];
      return {
        arm: c.arm,
        sessions: c.sessions,
        events: c.events,
        labels: e.labels,
        good: e.good,
        good_rate: e.labels > 0 ? e.good / e.labels : null,
        good_rate_ci95: e.labels > 0 ? wilsonInterval(e.good, e.labels) : null,
      };
    });
}

/** The active model's metadata and held-out metrics (null when no model was promoted). */
export async function activeModelReport(store: StoreApi): Promise<ModelReport | null> {
  const m = await store.models.active();
  if (!m) return null;
  return { version: m.version, created_at: m.created_at, n_examples: m.n_examples, training_ms: m.training_ms, metrics: JSON.parse(m.metrics) };
}
