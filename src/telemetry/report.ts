import type { StoreApi } from '../store/index.js';
import { sampleRatioMismatch, type SrmResult } from './stats.js';
import { activeModelReport, armReports, type ArmReport, type ModelReport } from './arms.js';
import { fleissKappa, type Agreement } from '../labeler/agreement.js';
import type { LabelMix } from '../store/index.js';

export interface TelemetryReport {
  generated_at: string;
  events: { total: number; per_arm: Record<string, number> };
  sessions: {
    /** Sessions given an arm (every /api/rl/policy call of a new session): the unit the SRM test counts. */
    assigned: number;
    /** Sessions that sent at least one event or signal. */
    with_events: number;
    /** observed / expected: assignments; with_events: of those, the ones that played. */
    per_arm: Record<string, { observed: number; expected: number; with_events: number }>;
    srm: SrmResult | null;
  };
  rejected: { total: number; by_reason: { reason: string; count: number }[] };
  ingest_rate: { last_60s_per_s: number; last_300s_per_s: number };
  snippets: Awaited<ReturnType<StoreApi['snippets']['queueStats']>>;
  /** Per arm: sessions, events, labels and the good-label rate with its 95 % Wilson interval. */
  arms: ArmReport[];
  /** The active model's metadata and held-out metrics (from the models table), or null. */
  model: ModelReport | { version: string } | null;
  labels: LabelReport;
  /** Listener signals by kind (seek, skip, pause, leave ...). */
  signals: { kind: string; count: number }[];
}

/** Label mix (overall, per policy arm, per labeler) and agreement on clips with ≥ 2 labels. */
export interface LabelReport {
  mix: LabelMix;
  per_arm: Record<string, LabelMix>;
  per_labeler: Record<string, LabelMix>;
  /** Fleiss' kappa; null until some clip has two labels (or when all labels agree by construction). */
  agreement: Agreement | null;
}

/** The label section of the telemetry report. */
export async function buildLabelReport(store: StoreApi): Promise<LabelReport> {
  const m = await store.labels.mix();
  const agreement = fleissKappa((await store.labels.clipCounts(2)).map((c) => [c.good, c.meh, c.bad]));
  return { mix: m.overall, per_arm: m.per_arm, per_labeler: m.per_labeler, agreement };
}

/** The report without who labeled what (labeler names and their counts): what anonymous readers get. */
export function withoutLabelers(report: TelemetryReport): Omit<TelemetryReport, 'labels'> & { labels: Omit<LabelReport, 'per_labeler'> } {
  const { per_labeler: _hidden, ...labels } = report.labels;
  return { ...report, labels };
}

/** Builds the telemetry report from the store (read-only queries). */
export async function buildTelemetry(store: StoreApi, opts: { now?: number; modelVersion?: string | null } = {}): Promise<TelemetryReport> {
  const now = opts.now ?? Date.now();
  // Independent reads: on PostgreSQL they run in parallel on the pool.
  const [totals, arms, withEventsRows, byReason, last60, last300, snippets, armRows, model, labels, signals] = await Promise.all([
    store.telemetry.totals(),
    store.telemetry.perArm(),
    store.telemetry.sessionsWithEvents(),
    store.telemetry.rejectedByReason(),
    store.telemetry.eventsSince(now - 60_000),
    store.telemetry.eventsSince(now - 300_000),
    store.snippets.queueStats(),
    armReports(store),
    activeModelReport(store),
    buildLabelReport(store),
    store.events.signalCounts(),
  ]);
  const perArmEvents: Record<string, number> = {};
  const perArmSessions: Record<string, { observed: number; expected: number; with_events: number }> = {};
  for (const a of arms) {
    perArmEvents[a.arm] = a.events;
    if (a.arm === 'baseline' || a.arm === 'rl') perArmSessions[a.arm] = { observed: a.sessions, expected: a.expected_sessions, with_events: 0 };
  }
  let withEvents = 0;
  for (const s of withEventsRows) {
    withEvents += s.sessions;
    const arm = perArmSessions[s.arm];
    if (arm) arm.with_events = s.sessions;
  }
  const b = perArmSessions.baseline!;
  const r = perArmSessions.rl!;
  return {
    generated_at: new Date(now).toISOString(),
    events: { total: totals.events, per_arm: perArmEvents },
    sessions: {
      assigned: totals.sessions,
      with_events: withEvents,
      per_arm: perArmSessions,
      srm: sampleRatioMismatch([b.observed, r.observed], [b.expected, r.expected]),
    },
    rejected: { total: totals.rejected, by_reason: byReason },
    ingest_rate: {
      last_60s_per_s: last60 / 60,
      last_300s_per_s: last300 / 300,
    },
    snippets,
    arms: armRows,
    model: model ?? (opts.modelVersion ? { version: opts.modelVersion } : null),
    labels,
    signals,
  };
}
