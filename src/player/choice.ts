/**
 * Which candidate to take once the player branches, per arm, with the probability of that choice:
 * - baseline: nearest first, rotating per source beat (classic jukebox), a deterministic rule given the
 *   rotation state, so the chosen candidate's probability is 1 and the others' 0;
 * - rl: the contextual bandit (src/bandit: SquareCB or ε-greedy over the policy's predicted rewards, with
 *   a probability floor), drawn with `drawAction`, so the propensity is the exact probability the draw used;
 * - the old logistic ranking (src/policy/scoring.ts), kept as a comparator for the simulation.
 * Every decision carries all candidates with their features and scores for the log. Pure, browser-safe.
 */
import { decide, jumpFeatures, type BanditDecision, type BanditPolicy } from '../bandit/index.js';
import type { JumpFeatureInput } from '../policy/features.js';
import type { ModelJson } from '../policy/model.js';
import { chooseCandidate, scoreCandidates, type ScoringOptions } from '../policy/scoring.js';
import type { PolicyArm } from '../shared/jump-event.js';
import type { SourcedCandidate } from './eligible.js';

/** One candidate as logged in a jump event's `candidates`. */
export interface CandidateLog {
  target_index: number;
  span: number;
  similarity: number;
  same_section: boolean;
  distance: number;
  forced: boolean;
  /** The quality-model input (JumpFeatureInput keys). */
  features: JumpFeatureInput;
  /** p(good) under the logistic model (comparator), else null. */
  p_good: number | null;
  /** The bandit's predicted reward (rl arm), or log p(good) under the logistic model; else null. */
  score: number | null;
  /** Probability this candidate had of being chosen; the values sum to 1. */
  probability: number;
  chosen: boolean;
}

export interface Choice {
  /** Index into the candidates given. */
  index: number;
  propensity: number;
  /** p(good) of the chosen candidate (rl arm), else null. */
  qualityScore: number | null;
  candidates: CandidateLog[];
}

type Model = Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'>;

function logOf(c: SourcedCandidate, p: { p_good: number | null; score: number | null; probability: number }, chosen: boolean): CandidateLog {
  return {
    target_index: c.target,
    span: c.features.span,
    similarity: c.features.similarity,
    same_section: Boolean(c.features.same_section),
    distance: c.distance,
    forced: c.forced,
    features: { ...c.features },
    p_good: p.p_good,
    score: p.score,
    probability: p.probability,
    chosen,
  };
}

/** Per-source-beat rotation of the baseline: the k-th branch at a beat takes its (k mod n)-th nearest candidate. */
export class Rotation {
  readonly #next = new Map<number, number>();

  take(source: number, n: number): number {
    const k = this.#next.get(source) ?? 0;
    this.#next.set(source, k + 1);
    return k % n;
  }
}

export function chooseBaseline(cands: readonly SourcedCandidate[], rotation: Rotation): Choice {
  if (cands.length === 0) throw new RangeError('chooseBaseline: no candidates');
  const index = rotation.take(cands[0].source, cands.length);
  return {
    index,
    propensity: 1,
    qualityScore: null,
    candidates: cands.map((c, i) => logOf(c, { p_good: null, score: null, probability: i === index ? 1 : 0 }, i === index)),
  };
}

export function chooseRl(cands: readonly SourcedCandidate[], model: Model, opts: ScoringOptions, rand: () => number): Choice {
  if (cands.length === 0) throw new RangeError('chooseRl: no candidates');
  const scored = scoreCandidates(model, cands.map((c) => c.features), opts);
  const { index, propensity } = chooseCandidate(scored, rand);
  return {
    index,
    propensity,
    qualityScore: scored[index].p_good,
    candidates: cands.map((c, i) =>
      logOf(c, { p_good: scored[i].p_good, score: Number.isFinite(scored[i].score) ? scored[i].score : null, probability: scored[i].probability }, i === index),
    ),
  };
}

/** The bandit's decision over the candidates (without acting on it: shadow mode logs it beside the baseline). */
export function banditJump(cands: readonly SourcedCandidate[], policy: BanditPolicy, rand: () => number): BanditDecision {
  return decide(policy, 'jump', cands.map((c) => jumpFeatures(c.features)), rand);
}

export function chooseBandit(cands: readonly SourcedCandidate[], policy: BanditPolicy, rand: () => number): Choice {
  if (cands.length === 0) throw new RangeError('chooseBandit: no candidates');
  const d = banditJump(cands, policy, rand);
  return {
    index: d.index,
    propensity: d.propensity,
    qualityScore: d.scores[d.index],
    candidates: cands.map((c, i) => logOf(c, { p_good: null, score: d.scores[i], probability: d.probabilities[i] }, i === d.index)),
  };
}

/**
 * The arm's rule: rl with a bandit policy → the bandit; rl with only a logistic model → the old ranking
 * (the simulation's comparator); anything else → the baseline rule.
 */
export function chooseFor(
  arm: PolicyArm,
  cands: readonly SourcedCandidate[],
  deps: { bandit: BanditPolicy | null; model: Model | null; scoring: ScoringOptions; rotation: Rotation; rand: () => number },
): Choice {
  if (arm === 'rl' && deps.bandit) return chooseBandit(cands, deps.bandit, deps.rand);
  if (arm === 'rl' && deps.model) return chooseRl(cands, deps.model, deps.scoring, deps.rand);
  return chooseBaseline(cands, deps.rotation);
}
