/**
 * What the dashboard shows, built from the store on each refresh: the health banner, time series in
 * buckets of the chosen range, the policy versions, labeling and pipeline figures, and the worst jumps.
 * The series come from bucketed SQL over index ranges (store/dashboard.ts), not from snapshots.
 */
import type { BucketRow, StoreApi } from '../store/index.js';
import { buildLabelReport } from '../telemetry/report.js';
import { sampleRatioMismatch } from '../telemetry/stats.js';
import { wilsonInterval } from '../shared/stats.js';
import { errors } from '../shared/errors.js';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, all: Infinity } as const;
export type RangeName = keyof typeof RANGES;

export function parseRange(v: string | null): RangeName {
  const r = v ?? '24h';
  if (!Object.hasOwn(RANGES, r)) throw errors.badRequest(`range must be one of ${Object.keys(RANGES).join(', ')} (got ${r})`);
  return r as RangeName;
}

/** Bucket widths that keep about 60–200 points on a chart. */
const STEPS = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];

export function bucketFor(spanMs: number): number {
  return STEPS.find((s) => spanMs / s <= 200) ?? STEPS[STEPS.length - 1]!;
}

export type Level = 'green' | 'amber' | 'red' | 'grey';
export interface HealthItem {
  id: string;
  label: string;
  level: Level;
  value: string;
}

export interface Series {
  name: string;
  values: (number | null)[];
  low?: (number | null)[];
  high?: (number | null)[];
}
export interface Chart {
  /** Bucket starts, seconds since the epoch (uPlot's x axis). */
  t: number[];
  series: Series[];
}

/** What the running server knows and the store does not (asked on the server's thread). */
export interface HealthProbes {
  writable: () => Promise<boolean>;
  diskFreeBytes: () => number | null;
  unavailableLastHour: () => number;
  commitP99Seconds: () => Promise<number | null>;
}

/** The probes' answers, as the summary (possibly on another thread) takes them. */
export interface ProbeValues {
  writable: boolean;
  diskFreeBytes: number | null;
  unavailableLastHour: number;
  commitP99Seconds: number | null;
}

export async function probeValues(p: HealthProbes): Promise<ProbeValues> {
  const [writable, commitP99Seconds] = await Promise.all([p.writable(), p.commitP99Seconds()]);
  return { writable, diskFreeBytes: p.diskFreeBytes(), unavailableLastHour: p.unavailableLastHour(), commitP99Seconds };
}

/** SRM levels as GrowthBook and Statsig show them: red at p < 0.001, amber at p < 0.01. */
export function srmLevel(p: number | null): Level {
  if (p === null) return 'grey';
  return p < 0.001 ? 'red' : p < 0.01 ? 'amber' : 'green';
}

/** One chart from bucket rows: a series per key, null where a bucket has no rows. */
export function chartOf(rows: readonly BucketRow[], since: number, until: number, bucket: number, value: (r: BucketRow) => number, keys?: readonly string[]): Chart {
  const first = Math.floor(since / bucket) * bucket;
  const t: number[] = [];
  for (let x = first; x <= until; x += bucket) t.push(x / 1000);
  const names = keys ?? [...new Set(rows.map((r) => r.key))].sort();
  const index = new Map(t.map((x, i) => [x * 1000, i]));
  const series = names.map((name): Series => ({ name, values: t.map(() => null) }));
  for (const r of rows) {
    const s = series[names.indexOf(r.key)];
    const i = index.get(r.t);
    if (s && i !== undefined) s.values[i] = value(r);
  }
  return { t, series };
}

/** Mean reward per bucket with its 95 % Wilson interval (rewards are in [0, 1]). */
function rewardChart(rows: readonly BucketRow[], since: number, until: number, bucket: number): Chart {
  const of = (f: (r: BucketRow) => number) => chartOf(rows, since, until, bucket, f);
  const mean = of((r) => r.sum / r.n);
  const low = of((r) => wilsonInterval(r.sum, r.n)[0]);
  const high = of((r) => wilsonInterval(r.sum, r.n)[1]);
  return { t: mean.t, series: mean.series.map((s, k) => ({ ...s, low: low.series[k]!.values, high: high.series[k]!.values })) };
}

/**
 * The snippet queue over time: renders and failures per bucket, and how many clips were waiting at the
 * end of each bucket. That is walked back from the queue now (waiting at the end of a bucket = waiting
 * at the end of the next one − its enqueued + its finished), so no snapshots are needed.
 */
export function queueChart(rows: readonly BucketRow[], waitingNow: number, since: number, until: number, bucket: number): Chart {
  const c = chartOf(rows, since, until, bucket, (x) => x.n, ['rendered', 'failed', 'enqueued']);
  const [rendered, failed, enqueued] = c.series as [Series, Series, Series];
  const waiting: (number | null)[] = c.t.map(() => null);
  let w = waitingNow;
  for (let i = c.t.length - 1; i >= 0; i--) {
    waiting[i] = Math.max(0, w);
    w -= (enqueued.values[i] ?? 0) - (rendered.values[i] ?? 0) - (failed.values[i] ?? 0);
  }
  return { t: c.t, series: [rendered, failed, { name: 'waiting', values: waiting }] };
}

export interface DashboardSummary {
  generated_at: string;
  range: RangeName;
  bucket_ms: number;
  health: HealthItem[];
  rewards: Chart;
  decisions_per_min: Chart;
  policies: { version: string; created_at: string; status: string; dr: number | null; dr_low: number | null; reason: string }[];
  models: { version: string; created_at: string; active: boolean; log_loss: number | null; auc: number | null }[];
  labeling: {
    per_hour: Chart;
    mix: Awaited<ReturnType<typeof buildLabelReport>>['mix'];
    per_labeler: Awaited<ReturnType<typeof buildLabelReport>>['per_labeler'];
    kappa: number | null;
    clips_waiting: number;
  };
  pipeline: {
    events_per_min: number;
    commit_p99_ms: number | null;
    queue: Awaited<ReturnType<StoreApi['snippets']['queueStats']>>['by_state'];
    failures: { reason: string; count: number }[];
    renders: Chart;
  };
  worst: {
    event_id: string;
    track_id: string;
    reward: number;
    source: string;
    received_at: number;
    policy_mode: string | null;
    features: Record<string, unknown>;
  }[];
}

const fmtBytes = (b: number) => (b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(1)} GiB` : `${(b / (1 << 20)).toFixed(0)} MiB`);

/**
 * Values that cost a scan of every event or label (the label mix and agreement, the 7-day and all-time
 * series) are kept for `ttlMs`: a snapshot at most that old. The 1-hour series are live.
 */
export class SummaryCache {
  readonly #entries = new Map<string, { at: number; value: unknown }>();
  constructor(readonly ttlMs = 60_000) {}
  async get<T>(key: string, now: number, compute: () => Promise<T>): Promise<T> {
    const e = this.#entries.get(key);
    if (e && now - e.at < this.ttlMs) return e.value as T;
    const value = await compute();
    this.#entries.set(key, { at: now, value });
    return value;
  }
}

const LIVE: readonly RangeName[] = ['1h'];

export async function buildSummary(store: StoreApi, range: RangeName, probes: ProbeValues, now = Date.now(), cache = new SummaryCache()): Promise<DashboardSummary> {
  const snap = <T>(key: string, compute: () => Promise<T>): Promise<T> => (LIVE.includes(range) ? compute() : cache.get(`series:${range}:${key}`, now, compute));
  const d = store.dashboard;
  const first = await d.firstEventAt();
  const since = range === 'all' ? (first ?? now - 3_600_000) : now - RANGES[range];
  const bucket = bucketFor(now - since);

  // Health banner.
  const health: HealthItem[] = [];
  const arms = await store.telemetry.sessionSplit();
  const b = arms.find((a) => a.arm === 'baseline')!;
  const r = arms.find((a) => a.arm === 'rl')!;
  // As GrowthBook: the chi-square needs about 8 expected sessions per arm.
  const srm = b.expected_sessions >= 8 && r.expected_sessions >= 8 ? sampleRatioMismatch([b.sessions, r.sessions], [b.expected_sessions, r.expected_sessions]) : null;
  health.push({
    id: 'srm',
    label: 'Session split (SRM)',
    level: srmLevel(srm?.p_value ?? null),
    value: srm ? `p = ${srm.p_value < 0.0001 ? srm.p_value.toExponential(1) : srm.p_value.toFixed(4)} (baseline ${b.sessions}, rl ${r.sessions})` : 'too few sessions to test',
  });
  const mixed = await d.mixedArmSessions(now - 3_600_000);
  health.push({ id: 'mixed', label: 'Sessions in more than one arm (1 h)', level: mixed > 0 ? 'red' : 'green', value: String(mixed) });
  const rejected = await d.rejectedSince(now - 3_600_000);
  const unavailable = probes.unavailableLastHour;
  health.push({ id: 'rejects', label: 'Rejected events, 503s (1 h)', level: unavailable > 0 ? 'red' : rejected > 0 ? 'amber' : 'green', value: `${rejected} rejected, ${unavailable} × 503` });
  const backlog = await d.snippetBacklog();
  const ageS = backlog.oldest_enqueued_at === null ? 0 : Math.max(0, (now - backlog.oldest_enqueued_at) / 1000);
  health.push({
    id: 'backlog',
    label: 'Snippet backlog',
    level: ageS > 3600 ? 'red' : ageS > 300 ? 'amber' : 'green',
    value: backlog.waiting === 0 ? 'empty' : `${backlog.waiting} waiting, oldest ${ageS < 120 ? `${ageS.toFixed(0)} s` : `${(ageS / 60).toFixed(0)} min`}`,
  });
  const writable = probes.writable;
  health.push({ id: 'store', label: 'Store writable', level: writable ? 'green' : 'red', value: writable ? 'yes' : 'no: beacons get 503' });
  const free = probes.diskFreeBytes;
  health.push({ id: 'disk', label: 'Disk free under RL_DATA_DIR', level: free === null ? 'grey' : free < 256 << 20 ? 'red' : free < 2 << 30 ? 'amber' : 'green', value: free === null ? 'unknown' : fmtBytes(free) });

  // Series.
  const rewards = rewardChart(await snap('rewards', () => d.rewardSeries(since, bucket)), since, now, bucket);
  const minutes = bucket / 60_000;
  const decisionsPerMin = chartOf(await snap('decisions', () => d.decisionSeries(since, bucket)), since, now, bucket, (x) => x.n / minutes);

  const policies = (await store.bandit.policies(200)).map((p) => {
    let ev: { candidate?: { estimate?: number; ci_low?: number } | null } = {};
    try {
      ev = p.evaluation ? JSON.parse(p.evaluation) : {};
    } catch {
      ev = {};
    }
    return { version: p.version, created_at: p.created_at, status: p.status, dr: ev.candidate?.estimate ?? null, dr_low: ev.candidate?.ci_low ?? null, reason: p.reason };
  });
  const active = await store.models.active();
  const models = (await store.models.list(50)).map((m) => {
    const metrics = JSON.parse(m.metrics) as { held_out?: { log_loss?: number; auc?: number }; log_loss?: number; auc?: number };
    const h = metrics.held_out ?? metrics;
    return { version: m.version, created_at: m.created_at, active: m.version === active?.version, log_loss: h.log_loss ?? null, auc: h.auc ?? null };
  });

  const labelReport = await cache.get('label-report', now, () => buildLabelReport(store));
  const hourly = Math.max(bucket, 3_600_000);
  const labeling = {
    per_hour: chartOf(await snap('labels', () => d.labelSeries(since, hourly)), since, now, hourly, (x) => x.n / (hourly / 3_600_000)),
    mix: labelReport.mix,
    per_labeler: labelReport.per_labeler,
    kappa: labelReport.agreement?.kappa ?? null,
    clips_waiting: await d.clipsWaiting(),
  };

  const q = await store.snippets.queueStats();
  const p99 = probes.commitP99Seconds;
  const pipeline = {
    events_per_min: (await store.telemetry.eventsSince(now - 300_000)) / 5,
    commit_p99_ms: p99 === null ? null : p99 * 1000,
    queue: q.by_state,
    failures: q.failed_by_reason,
    renders: queueChart(await snap('renders', async () => [...(await d.renderSeries(since, bucket)), ...(await d.enqueuedSeries(since, bucket))]), backlog.waiting, since, now, bucket),
  };

  const worst = (await d.worstJumps(now - 86_400_000, 20)).map((w) => {
    let features: Record<string, unknown> = {};
    try {
      features = w.chosen_features ? (JSON.parse(w.chosen_features) as Record<string, unknown>) : {};
    } catch {
      features = {};
    }
    if (Object.keys(features).length === 0) features = { similarity: w.similarity, span: w.span, same_section: w.same_section };
    return { event_id: w.event_id, track_id: w.track_id, reward: w.reward, source: w.source, received_at: w.received_at, policy_mode: w.policy_mode, features };
  });

  return { generated_at: new Date(now).toISOString(), range, bucket_ms: bucket, health, rewards, decisions_per_min: decisionsPerMin, policies, models, labeling, pipeline, worst };
}
