/**
 * Off-policy evaluation of bandit policies on the logged decisions (the store's rewards joined to their
 * events): builds the estimators' input (ope.ts) for each target policy, with the doubly-robust reward
 * model q̂ fitted by K-fold cross-fitting (the ridge oracle fitted on the other folds, so no decision's
 * q̂ saw its own reward), and reports per decision kind and pooled.
 *
 * Target policies: a bandit policy (its exact SquareCB / ε-greedy probabilities), `uniform`, and
 * `baseline`: the classic player, nearest candidate first and no dwell (dwell 0).
 * A decision whose logged probabilities give no support to the target (e.g. a baseline session's
 * deterministic choice) is left out and counted; with none left the policy is refused, not estimated.
 */
import { actionProbabilities, DWELL_BARS, FEATURE_WIDTH_BY_KIND, type BanditPolicy, type DecisionKind } from '../bandit/index.js';
import { errors } from '../shared/errors.js';
import { fnv1a32 } from '../shared/hash.js';
import type { StoreApi } from '../store/index.js';
import { parseDecisions, type ParsedDecision } from './decisions.js';
import { RIDGE_LAMBDA } from './learner.js';
import { smallSampleWidened } from '../shared/stats.js';
import { evaluateLog, type Estimate, type LoggedDecision, type WeightDiagnostics } from './ope.js';
import { Ridge } from './ridge.js';

export interface TargetPolicy {
  readonly name: string;
  readonly version: string | null;
  probabilities(d: ParsedDecision): number[];
}

export function banditTarget(name: string, policy: BanditPolicy): TargetPolicy {
  return { name, version: policy.version, probabilities: (d) => actionProbabilities(policy, d.kind, d.actions).probabilities };
}

export const uniformTarget: TargetPolicy = { name: 'uniform', version: null, probabilities: (d) => d.actions.map(() => 1 / d.actions.length) };

/**
 * The classic player: the nearest candidate (the candidates are logged nearest first), and no dwell.
 * Its rotation moves on to the next-nearest only when a session branches from the same beat again,
 * which most beats of a session never do, so nearest-first is what it plays.
 */
export const baselineTarget: TargetPolicy = {
  name: 'baseline',
  version: null,
  probabilities: (d) => (d.kind === 'dwell' ? DWELL_BARS.map((_, i) => (i === 0 ? 1 : 0)) : d.actions.map((_, i) => (i === 0 ? 1 : 0))),
};

export interface EvalDecision {
  readonly decision_id: string;
  readonly event_id: string;
  readonly reward: number;
  /** Where the reward came from (label or implicit). */
  readonly source: string;
  readonly arm: string | null;
  readonly parsed: ParsedDecision;
}

/** Decisions with a known reward, newest first, at most `limit`, received since `sinceMs`. */
export async function loadEvaluationLog(store: StoreApi, opts: { limit?: number; sinceMs?: number } = {}): Promise<EvalDecision[]> {
  const out: EvalDecision[] = [];
  for (const r of await store.bandit.evaluationRows({ limit: opts.limit ?? 50_000, ...(opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {}) })) {
    const d = parseDecisions(r);
    const parsed = r.kind === 'jump' ? d.jump : d.dwell;
    if (parsed) out.push({ decision_id: r.decision_id, event_id: r.event_id, reward: r.reward, source: r.source, arm: r.policy_mode, parsed });
  }
  return out;
}

export const FOLDS = 5;

/** The fold of a decision: by a hash of its id, so it does not depend on the order of the log. */
export const foldOf = (id: string, folds = FOLDS): number => fnv1a32(id) % folds;

/**
 * Cross-fitting statistics kept incrementally (the learner loop updates them with every reward change):
 * per kind, one ridge of all rewards and one per fold, so the fit that leaves fold f out is total − fold f
 * without another pass over the data.
 */
export class FoldStats {
  readonly #total: Record<DecisionKind, Ridge>;
  readonly #fold: Record<DecisionKind, Ridge[]>;

  constructor(readonly folds = FOLDS) {
    const make = (k: DecisionKind) => new Ridge(FEATURE_WIDTH_BY_KIND[k], RIDGE_LAMBDA);
    this.#total = { jump: make('jump'), dwell: make('dwell') };
    this.#fold = { jump: Array.from({ length: folds }, () => make('jump')), dwell: Array.from({ length: folds }, () => make('dwell')) };
  }

  add(kind: DecisionKind, id: string, x: readonly number[], r: number): void {
    this.#total[kind].add(x, r);
    this.#fold[kind][foldOf(id, this.folds)]!.add(x, r);
  }

  remove(kind: DecisionKind, id: string, x: readonly number[], r: number): void {
    this.#total[kind].remove(x, r);
    this.#fold[kind][foldOf(id, this.folds)]!.remove(x, r);
  }

  /** Per kind, the weights of the fit without each fold. O(folds d³). */
  weights(): Record<DecisionKind, number[][]> {
    const w = (k: DecisionKind) => this.#fold[k].map((f) => this.#total[k].minus(f, RIDGE_LAMBDA).solve());
    return { jump: w('jump'), dwell: w('dwell') };
  }
}

/**
 * Cross-fitted reward predictions q̂(x, a) for every action of every decision: per kind, a ridge fit on
 * the other folds' (chosen action, reward); `weights` (from FoldStats) skips the fitting.
 * Cost O(n d² + folds d³ + n K d), or O(n K d) with `weights`.
 */
export function crossFitQ(log: readonly EvalDecision[], weights?: Record<DecisionKind, number[][]>): number[][] {
  let w = weights;
  if (!w) {
    const stats = new FoldStats();
    for (const e of log) stats.add(e.parsed.kind, e.decision_id, e.parsed.actions[e.parsed.action]!, e.reward);
    w = stats.weights();
  }
  return log.map((e) => {
    const wf = w[e.parsed.kind][foldOf(e.decision_id)]!;
    return e.parsed.actions.map((x) => {
      let s = 0;
      for (let j = 0; j < x.length; j++) s += x[j]! * wf[j]!;
      return s;
    });
  });
}

export interface PolicyEvaluation {
  readonly policy: string;
  readonly version: string | null;
  readonly kind: DecisionKind | 'all';
  /** Decisions evaluated (with support). */
  readonly n: number;
  /** Decisions left out for lack of support. */
  readonly unsupported: number;
  /** Mean observed reward of the evaluated decisions (the logging policy's value). */
  readonly observed_mean: number | null;
  readonly estimates: Estimate[];
  readonly diagnostics: WeightDiagnostics | null;
  /** Why there are no estimates (too few decisions, no support). */
  readonly refused: string | null;
}

export interface EvaluateOptions {
  /** Importance weights are clipped here (the share clipped is reported). Default 100. */
  clip?: number;
  resamples?: number;
  seed?: number;
  /** Fewer supported decisions than this: refused. Default 20. */
  minDecisions?: number;
  kinds?: readonly (DecisionKind | 'all')[];
  /** Default all four. */
  estimators?: readonly ('ips' | 'snips' | 'dm' | 'dr')[];
}

export const DEFAULT_CLIP = 100;

/** Evaluates each target on the log, per kind and pooled ('all'), with IPS, SNIPS, DM and DR. */
export function evaluatePolicies(log: readonly EvalDecision[], targets: readonly TargetPolicy[], opts: EvaluateOptions = {}): PolicyEvaluation[] {
  const q = crossFitQ(log);
  const out: PolicyEvaluation[] = [];
  const kinds = opts.kinds ?? (['jump', 'dwell', 'all'] as const);
  for (const t of targets) {
    const probs = log.map((e) => t.probabilities(e.parsed));
    for (const kind of kinds) {
      const rows: LoggedDecision[] = [];
      let unsupported = 0;
      let sum = 0;
      log.forEach((e, i) => {
        if (kind !== 'all' && e.parsed.kind !== kind) return;
        const target = probs[i];
        if (target.some((p, a) => p > 1e-12 && !(e.parsed.logged[a] > 0))) {
          unsupported++;
          return;
        }
        // The jump and the dwell of one event share their listener signals: the bootstrap draws them together.
        rows.push({ logged: e.parsed.logged, action: e.parsed.action, reward: e.reward, target, q: q[i], cluster: e.event_id });
        sum += e.reward;
      });
      const base = { policy: t.name, version: t.version, kind, n: rows.length, unsupported, observed_mean: rows.length ? sum / rows.length : null };
      const min = opts.minDecisions ?? 20;
      if (rows.length < min) {
        const why = rows.length === 0 && unsupported > 0 ? 'no support: every logged decision was deterministic for this policy' : `too few decisions with a reward: ${rows.length} < ${min}`;
        out.push({ ...base, estimates: [], diagnostics: null, refused: why });
        continue;
      }
      const r = evaluateLog(rows, { clip: opts.clip ?? DEFAULT_CLIP, resamples: opts.resamples ?? 2000, seed: opts.seed ?? 1, ...(opts.estimators ? { estimators: opts.estimators } : {}) });
      out.push({ ...base, estimates: r.estimates, diagnostics: r.diagnostics, refused: null });
    }
  }
  return out;
}

export interface GateVerdict {
  readonly promote: boolean;
  readonly reason: string;
  readonly candidate: { readonly estimate: number; readonly ci_low: number; readonly ci_high: number; readonly n: number } | null;
  readonly reference: { readonly policy: string; readonly estimate: number } | null;
}

const Z95 = 1.959963984540054;

/**
 * The doubly-robust terms of one target on the log (decisions without support left out): their mean, a
 * Gaussian 95 % interval of the mean with the cluster-robust standard error over events (the decisions
 * of one event share their rewards' signals), widened for small samples as the reports are, and n.
 * Cost O(n K d) for the probabilities plus O(n K).
 */
export function drSummary(log: readonly EvalDecision[], q: readonly number[][], target: TargetPolicy, clip = DEFAULT_CLIP): { mean: number; ci_low: number; ci_high: number; n: number; unsupported: number } {
  const terms: number[] = [];
  const events: string[] = [];
  let unsupported = 0;
  let sumW = 0;
  let sumW2 = 0;
  let bounded = true;
  log.forEach((e, i) => {
    const pi = target.probabilities(e.parsed);
    const mu = e.parsed.logged;
    if (pi.some((p, a) => p > 1e-12 && !(mu[a]! > 0))) {
      unsupported++;
      return;
    }
    const qi = q[i]!;
    const a = e.parsed.action;
    const w = Math.min(clip, pi[a]! / mu[a]!);
    sumW += w;
    sumW2 += w * w;
    if (!(e.reward >= 0 && e.reward <= 1)) bounded = false;
    let dm = 0;
    for (let b = 0; b < pi.length; b++) dm += pi[b]! * qi[b]!;
    terms.push(dm + w * (e.reward - qi[a]!));
    events.push(e.event_id);
  });
  const n = terms.length;
  const mean = n > 0 ? terms.reduce((s, t) => s + t, 0) / n : NaN;
  // Cluster-robust variance of the mean: the jump and the dwell of one event are summed before squaring.
  const byEvent = new Map<string, number>();
  terms.forEach((t, i) => byEvent.set(events[i]!, (byEvent.get(events[i]!) ?? 0) + (t - mean)));
  let ss = 0;
  for (const v of byEvent.values()) ss += v * v;
  const c = byEvent.size;
  const se = n > 1 && c > 1 ? Math.sqrt((ss * c) / (c - 1)) / n : 0;
  const half = n > 0 ? Z95 * se : NaN;
  let ci = { low: mean - half, high: mean + half };
  // As in the reports (ope.ts): few effective decisions with rare rewards must not look certain.
  if (bounded && n > 0) ci = smallSampleWidened(ci.low, ci.high, mean, sumW2 > 0 ? (sumW * sumW) / sumW2 : 0, Z95);
  return { mean, ci_low: ci.low, ci_high: ci.high, n, unsupported };
}

/**
 * The promotion gate: a candidate becomes active only when the lower bound of its doubly-robust interval
 * (pooled over both decision kinds) is at least the DR estimate of the active policy, or of the baseline
 * when none is active. Too few decisions or no support: not promoted, with the reason. The gate runs at
 * every published version, so it uses the Gaussian interval of the per-decision DR terms (O(n); at the
 * thousands of decisions it needs, the percentile bootstrap of the reports gives the same bounds).
 */
export function promotionGate(
  log: readonly EvalDecision[],
  candidate: TargetPolicy,
  active: TargetPolicy | null,
  opts: { minDecisions?: number; clip?: number; foldWeights?: Record<DecisionKind, number[][]> } = {},
): GateVerdict {
  const reference = active ?? baselineTarget;
  const min = opts.minDecisions ?? 20;
  const q = crossFitQ(log, opts.foldWeights);
  const c = drSummary(log, q, candidate, opts.clip);
  if (c.n < min) {
    const why = c.n === 0 && c.unsupported > 0 ? 'no support: every logged decision was deterministic for this policy' : `too few decisions with a reward: ${c.n} < ${min}`;
    return { promote: false, reason: `not promoted: ${why}`, candidate: null, reference: null };
  }
  const cand = { estimate: c.mean, ci_low: c.ci_low, ci_high: c.ci_high, n: c.n };
  const r = drSummary(log, q, reference, opts.clip);
  if (r.n < min) return { promote: false, reason: `not promoted: the ${reference.name} policy cannot be estimated (${r.n} decisions with support)`, candidate: cand, reference: null };
  const ref = { policy: reference.name === 'active' ? `active ${reference.version}` : reference.name, estimate: r.mean };
  const promote = c.ci_low >= r.mean;
  const reason = `${promote ? 'promoted' : 'kept as a candidate'}: DR lower bound ${c.ci_low.toFixed(4)} ${promote ? '≥' : '<'} ${ref.policy} DR ${r.mean.toFixed(4)} (n ${c.n})`;
  return { promote, reason, candidate: cand, reference: ref };
}

/** Refuses to evaluate an empty log with a clear message (CLI). */
export function requireDecisions(log: readonly EvalDecision[]): void {
  if (log.length === 0) throw errors.invalidArgument('no logged decisions with a reward yet: play with RL logging on (or run harmonizer simulate) and let the rewards arrive');
}
