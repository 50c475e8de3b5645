/**
 * The published bandit policy ($RL_DATA_DIR/policy.json, served by GET /api/rl/policy-model) and how a
 * decision is made with it. Browser-safe: the player and the simulation call `decide` with the same
 * policy the server's learner wrote.
 *
 * Per decision kind the policy holds a linear reward model (weights over FEATURE_NAMES_BY_KIND) and
 * the exploration: SquareCB with γ = gamma · √K for a decision with K actions, or ε-greedy; both
 * followed by the probability floor. A policy with all-zero weights (the cold start) explores
 * uniformly.
 */
import { HarmonizerError } from '../shared/errors.js';
import { DECISION_KINDS, DWELL_BARS, FEATURE_NAMES_BY_KIND, type DecisionKind } from './actions.js';
import { drawAction, epsilonGreedyProbabilities, squareCbProbabilities } from './explore.js';

export const POLICY_FORMAT = 'harmonizer-bandit/1';
export const BANDIT_ALGORITHMS = ['squarecb', 'epsilon_greedy'] as const;
export type BanditAlgorithm = (typeof BANDIT_ALGORITHMS)[number];

export interface KindModel {
  readonly feature_names: readonly string[];
  readonly weights: readonly number[];
  /** SquareCB's γ before the √K factor (grows with the rewards seen). */
  readonly gamma: number;
  /** Rewards (total weight) the model was fitted on. */
  readonly n: number;
}

export interface Exploration {
  readonly algorithm: BanditAlgorithm;
  /** Every action's probability is at least this. */
  readonly floor: number;
  /** ε of the ε-greedy algorithm. */
  readonly epsilon: number;
}

export interface BanditPolicy {
  readonly format: typeof POLICY_FORMAT;
  /** `b<last reward seq>-<8 hex of the content hash>`, or `cold-start`. */
  readonly version: string;
  readonly created_at: string;
  readonly exploration: Exploration;
  readonly kinds: Readonly<Record<DecisionKind, KindModel>>;
  /** Dwell actions in bars (DWELL_BARS). */
  readonly dwell_bars: readonly number[];
  /**
   * The training data: reward-log entries first_seq..last_seq (0..0 for the cold start), and how many
   * entries apart the learner publishes (a replay publishes at the same boundaries).
   */
  readonly data: { readonly first_seq: number; readonly last_seq: number; readonly rewards: number; readonly publish_every?: number };
}

export interface BanditDecision {
  /** The chosen action's index. */
  readonly index: number;
  /** Its probability (the logged propensity). */
  readonly propensity: number;
  /** Every action's probability (sum 1, each ≥ the floor). */
  readonly probabilities: number[];
  /** Predicted reward of every action. */
  readonly scores: number[];
}

/** The policy before any reward: zero weights, so every decision is uniform over its actions. */
export function coldStartPolicy(exploration: Exploration, createdAt = new Date(0).toISOString()): BanditPolicy {
  const kinds = {} as Record<DecisionKind, KindModel>;
  for (const k of DECISION_KINDS) kinds[k] = { feature_names: FEATURE_NAMES_BY_KIND[k], weights: FEATURE_NAMES_BY_KIND[k].map(() => 0), gamma: 0, n: 0 };
  return { format: POLICY_FORMAT, version: 'cold-start', created_at: createdAt, exploration, kinds, dwell_bars: DWELL_BARS, data: { first_seq: 0, last_seq: 0, rewards: 0 } };
}

/** ŷ = w · x. Precondition: x has the kind's width. Cost O(width). */
export function predict(model: Pick<KindModel, 'weights'>, x: readonly number[]): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += model.weights[j] * x[j];
  return s;
}

/** The probabilities the policy gives the actions (rows of features) of one decision. Cost O(K · width). */
export function actionProbabilities(policy: Pick<BanditPolicy, 'exploration' | 'kinds'>, kind: DecisionKind, actions: readonly (readonly number[])[]): { probabilities: number[]; scores: number[] } {
  if (actions.length === 0) throw new RangeError('a decision needs at least one action');
  const m = policy.kinds[kind];
  const scores = actions.map((x) => predict(m, x));
  const e = policy.exploration;
  const probabilities =
    e.algorithm === 'squarecb'
      ? squareCbProbabilities(scores, m.gamma * Math.sqrt(actions.length), e.floor)
      : epsilonGreedyProbabilities(scores, e.epsilon, e.floor);
  return { probabilities, scores };
}

/** Scores the actions, draws one with `rand` and returns it with every action's probability. */
export function decide(policy: Pick<BanditPolicy, 'exploration' | 'kinds'>, kind: DecisionKind, actions: readonly (readonly number[])[], rand: () => number): BanditDecision {
  const { probabilities, scores } = actionProbabilities(policy, kind, actions);
  const index = drawAction(probabilities, rand);
  return { index, propensity: probabilities[index], probabilities, scores };
}

const fail = (msg: string) => new HarmonizerError('INVALID_ARGUMENT', `invalid bandit policy: ${msg}`);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks an untrusted value (parsed JSON) and returns it typed. A policy whose feature names or dwell
 * actions differ from this build's is refused: its weights would be applied to the wrong columns.
 * Throws INVALID_ARGUMENT naming the first bad field. Cost O(total width).
 */
export function validateBanditPolicy(value: unknown): BanditPolicy {
  if (!isObj(value)) throw fail('not an object');
  if (value.format !== POLICY_FORMAT) throw fail(`format must be "${POLICY_FORMAT}"`);
  for (const k of ['version', 'created_at']) if (typeof value[k] !== 'string' || value[k] === '') throw fail(`${k} must be a non-empty string`);
  const e = value.exploration;
  if (!isObj(e)) throw fail('exploration must be an object');
  if (!(BANDIT_ALGORITHMS as readonly unknown[]).includes(e.algorithm)) throw fail(`exploration.algorithm must be one of ${BANDIT_ALGORITHMS.join(' | ')}`);
  if (!isNum(e.floor) || e.floor < 0 || e.floor > 1) throw fail('exploration.floor must be a number in [0, 1]');
  if (!isNum(e.epsilon) || e.epsilon < 0 || e.epsilon > 1) throw fail('exploration.epsilon must be a number in [0, 1]');
  const bars = value.dwell_bars;
  if (!Array.isArray(bars) || bars.length !== DWELL_BARS.length || bars.some((b, i) => b !== DWELL_BARS[i])) throw fail(`dwell_bars must be [${DWELL_BARS.join(', ')}]`);
  const kinds = value.kinds;
  if (!isObj(kinds)) throw fail('kinds must be an object');
  for (const k of DECISION_KINDS) {
    const m = kinds[k];
    if (!isObj(m)) throw fail(`kinds.${k} must be an object`);
    const names = FEATURE_NAMES_BY_KIND[k];
    const fn = m.feature_names;
    if (!Array.isArray(fn) || fn.length !== names.length || fn.some((n, i) => n !== names[i])) throw fail(`kinds.${k}.feature_names do not match this build (${names.join(', ')})`);
    const w = m.weights;
    if (!Array.isArray(w) || w.length !== names.length || !w.every(isNum)) throw fail(`kinds.${k}.weights must be ${names.length} finite numbers`);
    if (!isNum(m.gamma) || m.gamma < 0) throw fail(`kinds.${k}.gamma must be a number ≥ 0`);
    if (!isNum(m.n) || m.n < 0) throw fail(`kinds.${k}.n must be a number ≥ 0`);
  }
  const d = value.data;
  if (!isObj(d) || !['first_seq', 'last_seq', 'rewards'].every((k) => Number.isInteger(d[k]) && (d[k] as number) >= 0)) throw fail('data must be { first_seq, last_seq, rewards } non-negative integers');
  if (d.publish_every !== undefined && !(Number.isInteger(d.publish_every) && (d.publish_every as number) >= 1)) throw fail('data.publish_every must be a positive integer');
  return value as unknown as BanditPolicy;
}
