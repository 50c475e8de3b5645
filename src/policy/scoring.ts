/**
 * The learned arm's scoring rule, shared by the server and the browser player (browser-safe: imports only
 * the feature encoder and the model type).
 *
 * Rule (`scoreCandidates`), for candidates c_1..c_n with p_i = p(good | c_i) from the model:
 *  1. Floor: candidates with p_i < `floor` are dropped (probability 0). If ALL are below the floor, the
 *     single best (highest p, first on ties) is kept, so there is always a choice.
 *  2. Score: s_i = log p_i, computed as log σ(z_i) so it stays finite when p_i underflows.
 *  3. Selection: softmax over kept candidates with temperature τ, π_i ∝ exp(s_i / τ) = p_i^{1/τ}
 *     (τ = 1 → proportional to p(good); τ → 0 → greedy; τ = 0 → uniform over the argmax ties),
 *     then mixed with ε-uniform exploration over the kept candidates: P_i = (1 − ε) π_i + ε / |kept|.
 *  Every candidate's selection probability is returned and they sum to 1, so the chosen one's
 *  propensity is logged exactly (off-policy evaluation needs it).
 */
import { featureVector, type JumpFeatureInput } from './features.js';
import type { ModelJson } from './model.js';

export interface ScoringOptions {
  /** p(good) below which a candidate is dropped, in [0, 1]. Default 0.3. */
  readonly floor?: number;
  /** Softmax temperature ≥ 0 (0 = greedy). Default 0.5 (selection ∝ p²). */
  readonly temperature?: number;
  /** Uniform exploration share over kept candidates, in [0, 1]. Default 0. */
  readonly epsilon?: number;
}

export const DEFAULT_SCORING: Required<ScoringOptions> = { floor: 0.3, temperature: 0.5, epsilon: 0 };

export interface ScoredCandidate {
  readonly p_good: number;
  /** log p(good); −Infinity for candidates dropped by the floor. */
  readonly score: number;
  /** Selection probability; 0 for dropped candidates; sums to 1 over all candidates. */
  readonly probability: number;
}

type ModelParams = Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'>;

/** Logit z = bias + Σ w_j (x_j − μ_j) / σ_j. Cost: O(FEATURE_WIDTH). */
export function logitOf(model: ModelParams, input: JumpFeatureInput): number {
  const x = featureVector(input);
  let z = model.bias;
  for (let j = 0; j < x.length; j++) z += (model.weights[j] * (x[j] - model.mean[j])) / model.std[j];
  return z;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const logSigmoid = (z: number): number => -((z < 0 ? -z : 0) + Math.log1p(Math.exp(-Math.abs(z))));

/** p(good) of one jump under the model. Precondition: a validated model. Cost: O(FEATURE_WIDTH). */
export function pGood(model: ModelParams, input: JumpFeatureInput): number {
  return sigmoid(logitOf(model, input));
}

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(typeof v === 'number' && v >= lo && v <= hi)) throw new RangeError(`${name} must be a number in [${lo}, ${hi}] (got ${v})`);
}

/**
 * Scores candidates by the rule in the module comment. Returns one entry per candidate, same order;
 * [] for no candidates. Throws RangeError for options out of range. Cost: O(n · FEATURE_WIDTH).
 */
export function scoreCandidates(
  model: ModelParams,
  candidates: readonly JumpFeatureInput[],
  opts: ScoringOptions = {},
): ScoredCandidate[] {
  const { floor, temperature, epsilon } = { ...DEFAULT_SCORING, ...opts };
  checkRange('floor', floor, 0, 1);
  checkRange('temperature', temperature, 0, Number.MAX_VALUE);
  checkRange('epsilon', epsilon, 0, 1);
  const n = candidates.length;
  if (n === 0) return [];
  const z = candidates.map((c) => logitOf(model, c));
  const p = z.map(sigmoid);
  const logp = z.map(logSigmoid);
  let kept = p.map((pi) => pi >= floor);
  if (!kept.some(Boolean)) {
    let best = 0;
    for (let i = 1; i < n; i++) if (z[i] > z[best]) best = i;
    kept = kept.map((_, i) => i === best);
  }
  const nKept = kept.filter(Boolean).length;
  let maxS = -Infinity;
  for (let i = 0; i < n; i++) if (kept[i] && logp[i] > maxS) maxS = logp[i];
  // Softmax with the max subtracted (no overflow); τ = 0 is the greedy limit: uniform over the maxima.
  const soft = logp.map((s, i) => (!kept[i] ? 0 : temperature === 0 ? (s === maxS ? 1 : 0) : Math.exp((s - maxS) / temperature)));
  const total = soft.reduce((a, b) => a + b, 0);
  return p.map((pi, i) => ({
    p_good: pi,
    score: kept[i] ? logp[i] : -Infinity,
    probability: kept[i] ? (1 - epsilon) * (soft[i] / total) + epsilon / nKept : 0,
  }));
}

/**
 * Draws one candidate by the returned probabilities with `rand` (uniform in [0, 1), e.g. a seeded PRNG).
 * Returns its index and propensity (its probability). Throws RangeError when no candidate has positive
 * probability. Cost: O(n).
 */
export function chooseCandidate(
  scored: readonly Pick<ScoredCandidate, 'probability'>[],
  rand: () => number,
): { index: number; propensity: number } {
  const u = rand();
  let acc = 0;
  let last = -1;
  for (let i = 0; i < scored.length; i++) {
    const q = scored[i].probability;
    if (!(q > 0)) continue;
    last = i;
    acc += q;
    if (u < acc) return { index: i, propensity: q };
  }
  // Rounding can leave Σ q a hair under 1 (u just below 1): the last eligible candidate takes it.
  if (last < 0) throw new RangeError('chooseCandidate: no candidate has positive probability');
  return { index: last, propensity: scored[last].probability };
}
