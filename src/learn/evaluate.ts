/**
 * Off-policy evaluation of bandit policies on the logged decisions (the store's rewards joined to their
 * events): builds the estimators' input (ope.ts) for each target policy, with the doubly-robust reward
 * model q̂ fitted by K-fold cross-fitting (the ridge oracle fitted on the other folds, so no decision's
 * q̂ saw its own reward), and reports per decision kind and pooled.
 *
 * Target policies: a bandit policy (its exact SquareCB / ε-greedy probabilities), `uniform`, and
 * `baseline`: the classic player, whose nearest-first rotation visits each candidate of a beat equally
 * often (so off-policy it is uniform over the jump candidates) and which never dwells (dwell 0).
 * A decision whose logged probabilities give no support to the target (e.g. a baseline session's
 * deterministic choice) is left out and counted; with none left the policy is refused, not estimated.
 */
import { actionProbabilities, DWELL_BARS, FEATURE_WIDTH_BY_KIND, type BanditPolicy, type DecisionKind } from '../bandit/index.js';
import { errors } from '../shared/errors.js';
import { fnv1a32 } from '../shared/hash.js';
import type { Store } from '../store/index.js';
import { parseDecisions, type ParsedDecision } from './decisions.js';
import { RIDGE_LAMBDA } from './learner.js';
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

export const baselineTarget: TargetPolicy = {
  name: 'baseline',
  version: null,
  probabilities: (d) => (d.kind === 'dwell' ? DWELL_BARS.map((_, i) => (i === 0 ? 1 : 0)) : d.actions.map(() => 1 / d.actions.length)),
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
export function loadEvaluationLog(store: Store, opts: { limit?: number; sinceMs?: number } = {}): EvalDecision[] {
  const out: EvalDecision[] = [];
  for (const r of store.bandit.evaluationRows({ limit: opts.limit ?? 50_000, ...(opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {}) })) {
    const d = parseDecisions(r);
    const parsed = r.kind === 'jump' ? d.jump : d.dwell;
    if (parsed) out.push({ decision_id: r.decision_id, event_id: r.event_id, reward: r.reward, source: r.source, arm: r.policy_mode, parsed });
  }
  return out;
}

/** The fold of a decision: by a hash of its id, so it does not depend on the order of the log. */
const foldOf = (id: string, folds: number): number => fnv1a32(id) % folds;

/**
 * Cross-fitted reward predictions q̂(x, a) for every action of every decision: per kind, a ridge fit on
 * the other folds' (chosen action, reward). Cost O(n d² + folds d³ + n K d).
 */
export function crossFitQ(log: readonly EvalDecision[], folds = 5): number[][] {
  const kinds: DecisionKind[] = ['jump', 'dwell'];
  const out: number[][] = new Array(log.length);
  for (const kind of kinds) {
    const d = FEATURE_WIDTH_BY_KIND[kind];
    const total = new Ridge(d, RIDGE_LAMBDA);
    const per = Array.from({ length: folds }, () => new Ridge(d, RIDGE_LAMBDA));
    const idx: number[] = [];
    log.forEach((e, i) => {
      if (e.parsed.kind !== kind) return;
      idx.push(i);
      const x = e.parsed.actions[e.parsed.action];
      total.add(x, e.reward);
      per[foldOf(e.decision_id, folds)].add(x, e.reward);
    });
    if (idx.length === 0) continue;
    const w = per.map((p) => total.minus(p, RIDGE_LAMBDA).solve());
    for (const i of idx) {
      const wf = w[foldOf(log[i].decision_id, folds)];
      out[i] = log[i].parsed.actions.map((x) => x.reduce((s, v, j) => s + v * wf[j], 0));
    }
  }
  return out;
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
        rows.push({ logged: e.parsed.logged, action: e.parsed.action, reward: e.reward, target, q: q[i] });
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

/** The DR estimate of an evaluation, or null. */
export function drOf(e: PolicyEvaluation | undefined): Estimate | null {
  return e?.estimates.find((x) => x.estimator === 'dr') ?? null;
}

export interface GateVerdict {
  readonly promote: boolean;
  readonly reason: string;
  readonly candidate: Estimate | null;
  readonly reference: { readonly policy: string; readonly estimate: number } | null;
}

/**
 * The promotion gate: a candidate becomes active only when the lower bound of its doubly-robust interval
 * (pooled over both decision kinds) is at least the DR estimate of the active policy, or of the baseline
 * when none is active. Too few decisions or no support: not promoted, with the reason.
 */
export function promotionGate(log: readonly EvalDecision[], candidate: TargetPolicy, active: TargetPolicy | null, opts: EvaluateOptions = {}): GateVerdict {
  const reference = active ?? baselineTarget;
  const evals = evaluatePolicies(log, [candidate, reference], { estimators: ['dr'], ...opts, kinds: ['all'] });
  const c = evals[0]!;
  const r = evals[1]!;
  if (c.refused) return { promote: false, reason: `not promoted: ${c.refused}`, candidate: null, reference: null };
  const cd = drOf(c)!;
  if (r.refused) return { promote: false, reason: `not promoted: the ${reference.name} policy cannot be estimated (${r.refused})`, candidate: cd, reference: null };
  const rd = drOf(r)!;
  const ref = { policy: reference.name === 'active' ? `active ${reference.version}` : reference.name, estimate: rd.estimate };
  const promote = cd.ci_low >= rd.estimate;
  const reason = `${promote ? 'promoted' : 'kept as a candidate'}: DR lower bound ${cd.ci_low.toFixed(4)} ${promote ? '≥' : '<'} ${ref.policy} DR ${rd.estimate.toFixed(4)} (n ${c.n})`;
  return { promote, reason, candidate: cd, reference: ref };
}

/** Refuses to evaluate an empty log with a clear message (CLI). */
export function requireDecisions(log: readonly EvalDecision[]): void {
  if (log.length === 0) throw errors.invalidArgument('no logged decisions with a reward yet: play with RL logging on (or run harmonizer simulate) and let the rewards arrive');
}
