/**
 * Off-policy evaluation: the value of a target policy π estimated from decisions logged under another
 * policy μ (BANDIT-NOTES.md, "Off-policy evaluation"). Pure numeric functions; no I/O.
 *
 * Rule, for decisions i = 1..n with taken action a_i, reward r_i and propensity μ_i(a_i) > 0:
 *  - Importance weight w_i = min(M, π_i(a_i) / μ_i(a_i)), M = `clip` (default ∞). Clipping biases the
 *    estimate downwards, so the share of clipped weights is reported with the diagnostics.
 *  - IPS   V̂ = (1/n) Σ w_i r_i.
 *  - SNIPS V̂ = Σ w_i r_i / Σ w_i, taken as 0 when Σ w_i = 0 (no decision took an action π would take).
 *  - DM    V̂ = (1/n) Σ_i Σ_a π_i(a) q̂_i(a).
 *  - DR    V̂ = (1/n) Σ_i [ Σ_a π_i(a) q̂_i(a) + w_i (r_i − q̂_i(a_i)) ]  (q̂ cross-fitted by the caller).
 *  - Interval: percentile bootstrap over decisions (B resamples of n decisions with replacement, drawn by
 *    mulberry32(seed)), or over clusters of decisions when the log names them (a cluster bootstrap:
 *    correlated decisions are drawn together, each replicate is Σ num / Σ den over the drawn clusters);
 *    the (1 − level)/2 and (1 + level)/2 quantiles of the B replicate estimates, with
 *    linear interpolation between order statistics. Every estimator uses the same resampled indices for a
 *    given seed, so their intervals are comparable. A SNIPS replicate with Σ w = 0 counts as 0.
 *  - Small samples (`evaluateLog`): for rewards in [0, 1], the IPS, SNIPS and DR intervals are widened to
 *    contain the Wilson interval of the estimate at the ESS when ESS · min(V̂, 1 − V̂) < 10, the
 *    textbook condition for a normal or resampling interval of a proportion (see shared/stats.ts).
 *  - Refusal (`evaluateLog`): an empty log, or a log without support — some decision where π puts
 *    probability > 1e-12 on an action μ never takes (μ(a) = 0). A deterministic logging policy gives no
 *    support for any other policy: estimating would be meaningless, not merely noisy.
 *
 * Per-decision terms are computed once into Float64Arrays; the bootstrap then only draws indices and sums
 * (O(B · n), no allocation per resample). Sums are plain in-order loops.
 */
import { HarmonizerError } from '../shared/errors.js';
import { mulberry32 } from '../shared/prng.js';
import { normalQuantile, smallSampleWidened } from '../shared/stats.js';

/** One logged decision, as off-policy evaluation sees it. Actions are 0..K-1 (K = logged.length ≥ 1). */
export interface LoggedDecision {
  /** The logging policy's probability of every action (sums to 1); logged[action] is the propensity. */
  readonly logged: readonly number[];
  /** The taken action's index. */
  readonly action: number;
  /** Observed reward (in [0, 1] here, but do not require it). */
  readonly reward: number;
  /** The target policy's probability of every action (same length, sums to 1). */
  readonly target: readonly number[];
  /** Reward-model predictions q̂(x, a) per action (cross-fitted by the caller); required by 'dm' and 'dr'. */
  readonly q?: readonly number[];
  /**
   * Decisions with the same cluster are resampled together by the bootstrap (e.g. the jump and the dwell
   * decision of one event, whose rewards come from the same listener signals). Default: its own cluster.
   */
  readonly cluster?: string;
}

export type EstimatorName = 'ips' | 'snips' | 'dr' | 'dm';

export interface OpeOptions {
  /** Importance weights above this are clipped to it (report the share clipped). Default Infinity (no clipping). */
  readonly clip?: number;
  /** Bootstrap resamples, ≥ 100. Default 2000. */
  readonly resamples?: number;
  /** Seed of the bootstrap (mulberry32). Default 1. */
  readonly seed?: number;
  /** Interval level in (0, 1). Default 0.95. */
  readonly level?: number;
}

export interface Estimate {
  readonly estimator: EstimatorName;
  readonly estimate: number;
  /** Percentile bootstrap interval over decisions (or clusters), widened for small samples (see the header). */
  readonly ci_low: number;
  readonly ci_high: number;
  readonly n: number;
}

export interface WeightDiagnostics {
  readonly n: number;
  /** (Σ w)² / Σ w² (after clipping); 0 when every weight is 0. */
  readonly ess: number;
  /** Largest weight before clipping. */
  readonly max_weight: number;
  /** Mean weight after clipping (≈ 1 when support is right and nothing is clipped). */
  readonly mean_weight: number;
  /** Share of decisions whose weight was clipped (raw weight > clip). */
  readonly clipped_share: number;
}

const DEFAULTS = { clip: Infinity, resamples: 2000, seed: 1, level: 0.95 } as const;
const ALL_ESTIMATORS: readonly EstimatorName[] = ['ips', 'snips', 'dm', 'dr'];
/** Target probability above which an action needs logged support. */
const SUPPORT_EPS = 1e-12;
/** Tolerance on Σ probabilities = 1. */
const SUM_TOL = 1e-6;

// ---------------------------------------------------------------------------------------------------------
// Option checks (shared by the public entries)

function checkClip(clip: unknown, name = 'clip'): number {
  if (clip === undefined) return DEFAULTS.clip;
  if (typeof clip !== 'number') throw new TypeError(`${name} must be a number (got ${typeof clip})`);
  if (!(clip > 0)) throw new RangeError(`${name} must be a positive number or Infinity (got ${clip})`);
  return clip;
}

interface ResolvedOptions {
  clip: number;
  resamples: number;
  seed: number;
  level: number;
}

function resolveOptions(opts: object, allowed: readonly string[]): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new TypeError(`unknown option ${k} (expected one of ${allowed.join(', ')})`);
  }
  const o = opts as OpeOptions;
  const clip = checkClip(o.clip, 'options.clip');
  const resamples = o.resamples ?? DEFAULTS.resamples;
  if (typeof resamples !== 'number') throw new TypeError('options.resamples must be a number');
  if (!(Number.isInteger(resamples) && resamples >= 100)) {
    throw new RangeError(`options.resamples must be an integer ≥ 100 (got ${resamples})`);
  }
  const seed = o.seed ?? DEFAULTS.seed;
  if (typeof seed !== 'number') throw new TypeError('options.seed must be a number');
  if (!Number.isFinite(seed)) throw new RangeError(`options.seed must be a finite number (got ${seed})`);
  const level = o.level ?? DEFAULTS.level;
  if (typeof level !== 'number') throw new TypeError('options.level must be a number');
  if (!(level > 0 && level < 1)) throw new RangeError(`options.level must be in (0, 1) (got ${level})`);
  return { clip, resamples, seed, level };
}

function checkEstimator(name: unknown, field: string): EstimatorName {
  if (!(ALL_ESTIMATORS as readonly unknown[]).includes(name)) {
    throw new RangeError(`${field} must be one of ${ALL_ESTIMATORS.join(', ')} (got ${String(name)})`);
  }
  return name as EstimatorName;
}

function checkNonEmpty(log: readonly LoggedDecision[]): void {
  if (log.length === 0) throw new RangeError('log must contain at least one decision');
}

// ---------------------------------------------------------------------------------------------------------
// Point estimates

/**
 * w_i = min(clip, target[a_i] / logged[a_i]), one per decision. Precondition: actions in range (checked by
 * `evaluateLog`); throws RangeError when a taken action's propensity is not > 0, or clip is not > 0.
 * An empty log gives an empty array. Cost: O(n).
 */
export function importanceWeights(log: readonly LoggedDecision[], clip?: number): Float64Array {
  const m = checkClip(clip);
  const w = new Float64Array(log.length);
  for (let i = 0; i < log.length; i++) {
    const d = log[i];
    const p = d.logged[d.action];
    if (!(p > 0)) throw new RangeError(`log[${i}].logged[${d.action}] (the taken action's propensity) must be > 0 (got ${p})`);
    const raw = d.target[d.action] / p;
    w[i] = raw > m ? m : raw;
  }
  return w;
}

/**
 * ESS, largest raw weight, mean clipped weight and clipped share. Precondition: a non-empty log (RangeError
 * otherwise) with positive propensities. ESS is 0 when every weight is 0. Cost: O(n).
 */
export function weightDiagnostics(log: readonly LoggedDecision[], clip?: number): WeightDiagnostics {
  checkNonEmpty(log);
  const m = checkClip(clip);
  const raw = importanceWeights(log);
  const n = raw.length;
  let sum = 0;
  let sumSq = 0;
  let max = -Infinity;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const r = raw[i];
    if (r > max) max = r;
    const w = r > m ? m : r;
    if (r > m) clipped++;
    sum += w;
    sumSq += w * w;
  }
  return {
    n,
    ess: sumSq > 0 ? (sum * sum) / sumSq : 0,
    max_weight: max,
    mean_weight: sum / n,
    clipped_share: clipped / n,
  };
}

/** Per-decision terms: the estimate is Σ num / n, or Σ num / Σ den for SNIPS (den non-null). */
interface Terms {
  readonly num: Float64Array;
  readonly den: Float64Array | null;
}

/** Σ_a target[a] q[a] for decision i; throws RangeError when q is missing or has the wrong length. */
function directTerm(d: LoggedDecision, i: number, estimator: EstimatorName): number {
  const q = d.q;
  if (q === undefined) throw new RangeError(`log[${i}].q is missing (required by '${estimator}')`);
  if (q.length !== d.target.length) {
    throw new RangeError(`log[${i}].q has length ${q.length}, expected ${d.target.length} (the number of actions)`);
  }
  let s = 0;
  for (let a = 0; a < q.length; a++) s += d.target[a] * q[a];
  return s;
}

function termsOf(log: readonly LoggedDecision[], estimator: EstimatorName, clip: number): Terms {
  const n = log.length;
  const num = new Float64Array(n);
  if (estimator === 'dm') {
    for (let i = 0; i < n; i++) num[i] = directTerm(log[i], i, estimator);
    return { num, den: null };
  }
  const w = importanceWeights(log, clip);
  if (estimator === 'dr') {
    for (let i = 0; i < n; i++) {
      const d = log[i];
      num[i] = directTerm(d, i, estimator) + w[i] * (d.reward - (d.q as readonly number[])[d.action]);
    }
    return { num, den: null };
  }
  for (let i = 0; i < n; i++) num[i] = w[i] * log[i].reward;
  return { num, den: estimator === 'snips' ? w : null };
}

function pointOf(t: Terms): number {
  const n = t.num.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += t.num[i];
  if (t.den === null) return s / n;
  let sw = 0;
  for (let i = 0; i < n; i++) sw += t.den[i];
  return sw === 0 ? 0 : s / sw;
}

/** IPS (1/n) Σ w_i r_i. Precondition: a non-empty log (RangeError otherwise), positive propensities. Cost: O(n). */
export function ipsEstimate(log: readonly LoggedDecision[], clip?: number): number {
  checkNonEmpty(log);
  return pointOf(termsOf(log, 'ips', checkClip(clip)));
}

/**
 * SNIPS Σ w_i r_i / Σ w_i, and 0 when Σ w_i = 0. Precondition: a non-empty log (RangeError otherwise),
 * positive propensities. Cost: O(n).
 */
export function snipsEstimate(log: readonly LoggedDecision[], clip?: number): number {
  checkNonEmpty(log);
  return pointOf(termsOf(log, 'snips', checkClip(clip)));
}

/**
 * DM (1/n) Σ_i Σ_a target[a] q[a]. Precondition: a non-empty log where every decision has q of the right
 * length (RangeError otherwise). Cost: O(n K).
 */
export function dmEstimate(log: readonly LoggedDecision[]): number {
  checkNonEmpty(log);
  return pointOf(termsOf(log, 'dm', Infinity));
}

/**
 * DR (1/n) Σ_i [ Σ_a target[a] q[a] + w_i (r_i − q[a_i]) ]. Precondition: a non-empty log where every
 * decision has q of the right length (RangeError otherwise), positive propensities. Cost: O(n K).
 */
export function drEstimate(log: readonly LoggedDecision[], clip?: number): number {
  checkNonEmpty(log);
  return pointOf(termsOf(log, 'dr', checkClip(clip)));
}

// ---------------------------------------------------------------------------------------------------------
// Bootstrap

/** q-quantile of sorted x by linear interpolation between order statistics (h = (B − 1) q). */
function quantileSorted(x: Float64Array, q: number): number {
  const h = (x.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, x.length - 1);
  return x[lo] + (h - lo) * (x[hi] - x[lo]);
}

/** Cluster index of every decision (its own when the log names none), and the number of clusters. */
function clustersOf(log: readonly LoggedDecision[]): { of: Int32Array; count: number } | null {
  if (!log.some((d) => d.cluster !== undefined)) return null;
  const ids = new Map<string, number>();
  const of = new Int32Array(log.length);
  log.forEach((d, i) => {
    const key = d.cluster ?? `#${i}`;
    let c = ids.get(key);
    if (c === undefined) ids.set(key, (c = ids.size));
    of[i] = c;
  });
  return { of, count: ids.size };
}

function bootstrapTerms(t: Terms, resamples: number, seed: number, level: number, clusters: { of: Int32Array; count: number } | null = null): { low: number; high: number } {
  const n = t.num.length;
  const rand = mulberry32(seed);
  const reps = new Float64Array(resamples);
  // Per cluster: Σ num and Σ den (den = 1 per decision for the plain means), so a replicate over drawn
  // clusters is Σ num / Σ den; with one decision per cluster this is the ordinary bootstrap.
  const c = clusters?.count ?? n;
  const num = new Float64Array(c);
  const den = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    const k = clusters ? clusters.of[i] : i;
    num[k] += t.num[i];
    den[k] += t.den === null ? 1 : t.den[i];
  }
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    let sw = 0;
    for (let k = 0; k < c; k++) {
      const i = Math.floor(rand() * c);
      s += num[i];
      sw += den[i];
    }
    reps[b] = sw === 0 ? 0 : s / sw;
  }
  reps.sort();
  return { low: quantileSorted(reps, (1 - level) / 2), high: quantileSorted(reps, (1 + level) / 2) };
}

/**
 * Percentile bootstrap interval of `estimator` over decisions: B = resamples draws of n decisions with
 * replacement from mulberry32(seed), quantiles (1 − level)/2 and (1 + level)/2 of the replicates (linear
 * interpolation). A SNIPS replicate with Σ w = 0 counts as 0. n = 1 gives low = high = the estimate.
 * Precondition: a non-empty log with positive propensities, and q on every decision for 'dm'/'dr'
 * (RangeError otherwise); options as in OpeOptions (TypeError / RangeError naming the option).
 * Cost: O(B n + B log B + n K) time, O(B + n) memory.
 */
export function bootstrapInterval(
  log: readonly LoggedDecision[],
  estimator: EstimatorName,
  opts: OpeOptions = {},
): { low: number; high: number } {
  const o = resolveOptions(opts, ['clip', 'resamples', 'seed', 'level']);
  const est = checkEstimator(estimator, 'estimator');
  checkNonEmpty(log);
  return bootstrapTerms(termsOf(log, est, o.clip), o.resamples, o.seed, o.level, clustersOf(log));
}

// ---------------------------------------------------------------------------------------------------------
// Checked entry

function checkDistribution(v: unknown, field: string, k: number | undefined): number {
  if (!Array.isArray(v) || v.length === 0) throw new RangeError(`${field} must be a non-empty array of probabilities`);
  if (k !== undefined && v.length !== k) throw new RangeError(`${field} has length ${v.length}, expected ${k} (logged.length)`);
  let s = 0;
  for (let a = 0; a < v.length; a++) {
    const p: unknown = v[a];
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new RangeError(`${field}[${a}] must be a probability in [0, 1] (got ${String(p)})`);
    s += p;
  }
  if (Math.abs(s - 1) > SUM_TOL) throw new RangeError(`${field} must sum to 1 within ${SUM_TOL} (sums to ${s})`);
  return v.length;
}

/** Checks decision i; returns whether it has support (μ(a) > 0 wherever π(a) > 1e-12). */
function checkDecision(d: LoggedDecision, i: number, needQ: EstimatorName | undefined): boolean {
  if (d === null || typeof d !== 'object') throw new RangeError(`log[${i}] must be a decision object`);
  const k = checkDistribution(d.logged, `log[${i}].logged`, undefined);
  checkDistribution(d.target, `log[${i}].target`, k);
  const a = d.action;
  if (!(Number.isInteger(a) && a >= 0 && a < k)) throw new RangeError(`log[${i}].action must be an integer in [0, ${k - 1}] (got ${a})`);
  if (!(d.logged[a] > 0)) {
    throw new RangeError(`log[${i}].logged[${a}] is 0 but action ${a} was taken: a taken action cannot have zero propensity`);
  }
  if (!(typeof d.reward === 'number' && Number.isFinite(d.reward))) throw new RangeError(`log[${i}].reward must be a finite number (got ${d.reward})`);
  if (d.q !== undefined) {
    if (!Array.isArray(d.q) || d.q.length !== k) throw new RangeError(`log[${i}].q must be an array of length ${k} (logged.length)`);
    for (let b = 0; b < k; b++) {
      const v: unknown = d.q[b];
      if (!(typeof v === 'number' && Number.isFinite(v))) throw new RangeError(`log[${i}].q[${b}] must be a finite number (got ${String(v)})`);
    }
  } else if (needQ !== undefined) {
    throw new RangeError(`log[${i}].q is missing (required by '${needQ}')`);
  }
  for (let b = 0; b < k; b++) if (d.target[b] > SUPPORT_EPS && d.logged[b] === 0) return false;
  return true;
}

/**
 * Checks the log and evaluates the requested estimators (default: ips, snips, dm, dr when every decision
 * has q, else ips and snips), each with its bootstrap interval (same seed for all), plus the weight
 * diagnostics at `clip`. Refuses with HarmonizerError EVALUATION_REFUSED for an empty log or a log without
 * support (the message counts the decisions lacking it); throws RangeError naming the field and decision
 * index for malformed input, TypeError / RangeError naming the option for bad options (unknown option
 * names included). Cost: O(n K) to check, plus O(B n + B log B) per estimator.
 */
export function evaluateLog(
  log: readonly LoggedDecision[],
  opts: OpeOptions & { estimators?: readonly EstimatorName[] } = {},
): { estimates: Estimate[]; diagnostics: WeightDiagnostics } {
  const o = resolveOptions(opts, ['clip', 'resamples', 'seed', 'level', 'estimators']);
  let requested: readonly EstimatorName[] | undefined;
  if (opts.estimators !== undefined) {
    if (!Array.isArray(opts.estimators) || opts.estimators.length === 0) {
      throw new RangeError('options.estimators must be a non-empty array of estimator names');
    }
    requested = opts.estimators.map((e, j) => checkEstimator(e, `options.estimators[${j}]`));
  }
  if (!Array.isArray(log)) throw new TypeError('log must be an array of decisions');
  if (log.length === 0) throw new HarmonizerError('EVALUATION_REFUSED', 'cannot evaluate an empty log: there are no decisions');
  const needQ = requested?.find((e) => e === 'dm' || e === 'dr');
  let unsupported = 0;
  let allHaveQ = true;
  for (let i = 0; i < log.length; i++) {
    if (!checkDecision(log[i], i, needQ)) unsupported++;
    if (log[i].q === undefined) allHaveQ = false;
  }
  if (unsupported > 0) {
    throw new HarmonizerError(
      'EVALUATION_REFUSED',
      `the logging policy gives no support for the target policy in ${unsupported} of ${log.length} decisions ` +
        `(the target puts probability on an action whose logged probability is 0, e.g. a deterministic logging ` +
        `policy): off-policy estimates would be meaningless`,
    );
  }
  const names = requested ?? (allHaveQ ? ALL_ESTIMATORS : (['ips', 'snips'] as const));
  const clusters = clustersOf(log);
  const diagnostics = weightDiagnostics(log, o.clip);
  const bounded = log.every((d) => d.reward >= 0 && d.reward <= 1);
  const z = normalQuantile((1 + o.level) / 2);
  const estimates = names.map((estimator): Estimate => {
    const t = termsOf(log, estimator, o.clip);
    const estimate = pointOf(t);
    let { low, high } = bootstrapTerms(t, o.resamples, o.seed, o.level, clusters);
    // The weighted estimators rest on the ESS decisions, not all n: too few expected successes there
    // and the bootstrap collapses (shared/stats.ts). DM has no weights.
    if (bounded && estimator !== 'dm') ({ low, high } = smallSampleWidened(low, high, estimate, diagnostics.ess, z));
    return { estimator, estimate, ci_low: low, ci_high: high, n: log.length };
  });
  return { estimates, diagnostics };
}
