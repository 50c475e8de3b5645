/**
 * The dashboard's off-policy evaluation panel: `harmonizer evaluate`'s table (the same estimators and
 * targets) on the newest decisions, with histograms of the logged propensities and of the active
 * policy's importance weights. It costs a cross-fit and bootstraps, so it is computed at most once per
 * `ttlMs` and served from memory in between.
 */
import { validateBanditPolicy } from '../bandit/index.js';
import { banditTarget, baselineTarget, evaluatePolicies, loadEvaluationLog, uniformTarget, type PolicyEvaluation, type TargetPolicy } from '../learn/index.js';
import type { StoreApi } from '../store/index.js';

export interface Histogram {
  /** Bucket lower edges. */
  edges: number[];
  counts: number[];
}

export interface OpePanel {
  computed_at: string;
  decisions: number;
  evaluations: PolicyEvaluation[];
  propensities: Histogram;
  weights: Histogram | null;
}

/** Decisions evaluated (the newest) and bootstrap resamples: a refresh must stay well under a second. */
const LOG_LIMIT = 5000;
const RESAMPLES = 300;

export function histogram(values: readonly number[], edges: readonly number[]): Histogram {
  const counts = edges.map(() => 0);
  for (const v of values) {
    let i = edges.length - 1;
    while (i > 0 && v < edges[i]!) i--;
    counts[i]!++;
  }
  return { edges: [...edges], counts };
}

const PROPENSITY_EDGES = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
const WEIGHT_EDGES = [0, 0.5, 1, 2, 5, 10, 20, 50, 100];

async function targets(store: StoreApi): Promise<TargetPolicy[]> {
  const out: TargetPolicy[] = [];
  const parse = (json: string) => {
    try {
      return validateBanditPolicy(JSON.parse(json));
    } catch {
      return null;
    }
  };
  const active = await store.bandit.activePolicy();
  const a = active ? parse(active.policy_json) : null;
  if (a) out.push(banditTarget('active', a));
  const cand = await store.bandit.latestCandidate();
  const c = cand ? parse(cand.policy_json) : null;
  if (c) out.push(banditTarget('candidate', c));
  return [...out, baselineTarget, uniformTarget];
}

export async function computeOpePanel(store: StoreApi, now = Date.now()): Promise<OpePanel> {
  const log = await loadEvaluationLog(store, { limit: LOG_LIMIT });
  const ts = await targets(store);
  const evaluations = log.length > 0 ? evaluatePolicies(log, ts, { resamples: RESAMPLES, seed: 1 }) : [];
  const propensities = histogram(log.map((e) => e.parsed.logged[e.parsed.action]!), PROPENSITY_EDGES);
  const active = ts.find((t) => t.name === 'active');
  const weights = active ? histogram(log.map((e) => active.probabilities(e.parsed)[e.parsed.action]! / e.parsed.logged[e.parsed.action]!), WEIGHT_EDGES) : null;
  return { computed_at: new Date(now).toISOString(), decisions: log.length, evaluations, propensities, weights };
}

/** Memoizes computeOpePanel for `ttlMs`. */
export function cachedOpePanel(store: StoreApi, ttlMs = 60_000, clock: () => number = Date.now): () => Promise<OpePanel> {
  // The Promise is cached, so requests during a computation share it; a failed one is not kept.
  let cached: { at: number; panel: Promise<OpePanel> } | null = null;
  return () => {
    const now = clock();
    if (!cached || now - cached.at >= ttlMs) {
      const entry = { at: now, panel: computeOpePanel(store, now) };
      entry.panel.catch(() => {
        if (cached === entry) cached = null;
      });
      cached = entry;
    }
    return cached.panel;
  };
}
