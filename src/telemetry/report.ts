import type { Store } from '../store/index.js';
import { sampleRatioMismatch, type SrmResult } from './stats.js';

export interface TelemetryReport {
  generated_at: string;
  events: { total: number; per_arm: Record<string, number> };
  sessions: {
    total: number;
    per_arm: Record<string, { observed: number; expected: number }>;
    srm: SrmResult | null;
  };
  rejected: { total: number; by_reason: { reason: string; count: number }[] };
  ingest_rate: { last_60s_per_s: number; last_300s_per_s: number };
  snippets: ReturnType<Store['snippets']['queueStats']>;
  model: { version: string } | null;
}

/** Builds the telemetry report from the store (read-only queries). */
export function buildTelemetry(store: Store, opts: { now?: number; modelVersion?: string | null } = {}): TelemetryReport {
  const now = opts.now ?? Date.now();
  const totals = store.telemetry.totals();
  const arms = store.telemetry.perArm();
  const perArmEvents: Record<string, number> = {};
  const perArmSessions: Record<string, { observed: number; expected: number }> = {};
  for (const a of arms) {
    perArmEvents[a.arm] = a.events;
    if (a.arm === 'baseline' || a.arm === 'rl') perArmSessions[a.arm] = { observed: a.sessions, expected: a.expected_sessions };
  }
  const b = perArmSessions.baseline!;
  const r = perArmSessions.rl!;
  return {
    generated_at: new Date(now).toISOString(),
    events: { total: totals.events, per_arm: perArmEvents },
    sessions: {
      total: totals.sessions,
      per_arm: perArmSessions,
      srm: sampleRatioMismatch([b.observed, r.observed], [b.expected, r.expected]),
    },
    rejected: { total: totals.rejected, by_reason: store.telemetry.rejectedByReason() },
    ingest_rate: {
      last_60s_per_s: store.telemetry.eventsSince(now - 60_000) / 60,
      last_300s_per_s: store.telemetry.eventsSince(now - 300_000) / 300,
    },
    snippets: store.snippets.queueStats(),
    model: opts.modelVersion ? { version: opts.modelVersion } : null,
  };
}
