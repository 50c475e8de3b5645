/**
 * The policy series of /metrics, for Prometheus and Grafana users (docs/grafana-dashboard.json):
 * decisions with a reward and their mean reward per session arm and decision kind, the active bandit
 * policy's version, and its doubly-robust estimate from the promotion gate.
 *
 * Read from the store when scraped, at most once per `ttlMs` (a scrape every few seconds must not run
 * a GROUP BY over every reward each time).
 */
import client from 'prom-client';
import type { PolicyRow, StoreApi } from '../store/index.js';

export interface PolicySnapshot {
  rewards: { arm: string; kind: string; count: number; mean: number }[];
  active: { version: string; estimate: number | null } | null;
}

interface GateEvaluation {
  candidate?: { estimate?: number } | null;
  reference?: { policy?: string; estimate?: number } | null;
}

function evaluationOf(row: PolicyRow): GateEvaluation {
  try {
    return row.evaluation ? (JSON.parse(row.evaluation) as GateEvaluation) : {};
  } catch {
    return {};
  }
}

/**
 * The active policy's latest DR estimate: the newest gate run that compared a candidate with it (on
 * the newest decisions), else its own estimate when it was promoted. Null without an evaluation.
 */
export function activeEstimate(active: PolicyRow, newest: readonly PolicyRow[]): number | null {
  for (const row of newest) {
    const ref = evaluationOf(row).reference;
    if (ref?.policy === `active ${active.version}` && typeof ref.estimate === 'number') return ref.estimate;
  }
  const own = evaluationOf(active).candidate?.estimate;
  return typeof own === 'number' ? own : null;
}

export async function policySnapshot(store: StoreApi): Promise<PolicySnapshot> {
  const [active, rewards, recent] = await Promise.all([store.bandit.activePolicy(), store.bandit.rewardsByArm(), store.bandit.policies(20)]);
  return { rewards, active: active ? { version: active.version, estimate: activeEstimate(active, recent) } : null };
}

/** Registers the policy gauges on `registry`; they read `store` when scraped. */
export function registerPolicyMetrics(registry: client.Registry, store: StoreApi, opts: { ttlMs?: number; now?: () => number } = {}): void {
  const ttl = opts.ttlMs ?? 5000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; snap: Promise<PolicySnapshot> } | null = null;
  // One read per ttl shared by the four gauges of a scrape (and by concurrent scrapes).
  const snapshot = (): Promise<PolicySnapshot> => {
    if (!cached || now() - cached.at >= ttl) {
      const last = cached?.snap ?? Promise.resolve({ rewards: [], active: null });
      // A busy or unreadable store must not take the ingest series down with it: serve the last values.
      cached = { at: now(), snap: policySnapshot(store).catch(() => last) };
    }
    return cached.snap;
  };
  new client.Gauge({
    name: 'harmonizer_policy_decisions',
    help: 'Decisions with a reward (label or listener signals), by session arm and decision kind',
    labelNames: ['arm', 'kind'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const r of snap.rewards) this.set({ arm: r.arm, kind: r.kind }, r.count);
    },
  });
  new client.Gauge({
    name: 'harmonizer_policy_reward_mean',
    help: 'Mean reward of the decisions with a reward, by session arm and decision kind',
    labelNames: ['arm', 'kind'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const r of snap.rewards) this.set({ arm: r.arm, kind: r.kind }, r.mean);
    },
  });
  new client.Gauge({
    name: 'harmonizer_bandit_active_policy_info',
    help: 'The active bandit policy version (value 1); absent while the cold start is served',
    labelNames: ['version'] as const,
    registers: [registry],
    async collect() {
      const a = (await snapshot()).active;
      this.reset();
      if (a) this.set({ version: a.version }, 1);
    },
  });
  new client.Gauge({
    name: 'harmonizer_bandit_active_dr_estimate',
    help: "The active bandit policy's doubly-robust value estimate from the newest gate run",
    registers: [registry],
    async collect() {
      const e = (await snapshot()).active?.estimate;
      this.reset();
      if (typeof e === 'number') this.set(e);
    },
  });
}
