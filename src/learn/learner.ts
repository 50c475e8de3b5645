/**
 * The online learner: one ridge regression oracle per decision kind over that kind's action features,
 * fed the reward log in seq order (src/store/bandit.ts), and the policy it publishes. Deterministic:
 * the same log in the same order yields bit-identical weights and so the same version ids.
 * The exploration parameter grows with the data, γ_kind = RL_BANDIT_GAMMA · √(rewards of the kind)
 * (the decision multiplies it by √K: γ = scale · √(K · T), the order SquareCB's analysis gives).
 */
import { createHash } from 'node:crypto';
import { DECISION_KINDS, FEATURE_NAMES_BY_KIND, FEATURE_WIDTH_BY_KIND, POLICY_FORMAT, DWELL_BARS, type BanditPolicy, type DecisionKind, type Exploration, type KindModel } from '../bandit/index.js';
import { Ridge } from './ridge.js';

export const RIDGE_LAMBDA = 1;

export interface LearnerOptions {
  readonly exploration: Exploration;
  /** γ scale (RL_BANDIT_GAMMA). */
  readonly gammaScale: number;
  readonly lambda?: number;
  /** Recorded in each version's data (RL_BANDIT_PUBLISH_EVERY), so a replay publishes at the same boundaries. */
  readonly publishEvery?: number;
}

/** One reward-log entry with the features of its decision's chosen action. */
export interface LearnerEntry {
  readonly seq: number;
  readonly kind: DecisionKind;
  readonly x: readonly number[];
  readonly reward: number | null;
  readonly weight: number;
  readonly prev_reward: number | null;
  readonly prev_weight: number | null;
}

export class BanditLearner {
  readonly #ridge: Record<DecisionKind, Ridge>;
  readonly #opts: LearnerOptions;
  firstSeq = 0;
  lastSeq = 0;
  applied = 0;

  constructor(opts: LearnerOptions) {
    this.#opts = opts;
    const lambda = opts.lambda ?? RIDGE_LAMBDA;
    this.#ridge = { jump: new Ridge(FEATURE_WIDTH_BY_KIND.jump, lambda), dwell: new Ridge(FEATURE_WIDTH_BY_KIND.dwell, lambda) };
  }

  /** Applies one reward change: the previous reward of the decision (if any) out, the new one (if any) in. O(d²). */
  apply(e: LearnerEntry): void {
    if (e.seq <= this.lastSeq) throw new RangeError(`reward log out of order: seq ${e.seq} after ${this.lastSeq}`);
    const r = this.#ridge[e.kind];
    if (e.prev_reward !== null) r.remove(e.x, e.prev_reward, e.prev_weight ?? 0);
    if (e.reward !== null) r.add(e.x, e.reward, e.weight);
    if (this.firstSeq === 0) this.firstSeq = e.seq;
    this.lastSeq = e.seq;
    this.applied++;
  }

  /** Rewards currently in the model, per kind. */
  counts(): Record<DecisionKind, number> {
    return { jump: this.#ridge.jump.count, dwell: this.#ridge.dwell.count };
  }

  /** The policy of the current state. Its version: `b<lastSeq>-<8 hex of the content>`. O(d³) per kind. */
  snapshot(createdAt: string): BanditPolicy {
    const kinds = {} as Record<DecisionKind, KindModel>;
    for (const k of DECISION_KINDS) {
      const r = this.#ridge[k];
      kinds[k] = { feature_names: FEATURE_NAMES_BY_KIND[k], weights: r.solve(), gamma: this.#opts.gammaScale * Math.sqrt(Math.max(0, r.count)), n: r.count };
    }
    const data = { first_seq: this.firstSeq, last_seq: this.lastSeq, rewards: this.applied, ...(this.#opts.publishEvery ? { publish_every: this.#opts.publishEvery } : {}) };
    const hash = createHash('sha256').update(JSON.stringify({ exploration: this.#opts.exploration, kinds, data })).digest('hex').slice(0, 8);
    return { format: POLICY_FORMAT, version: `b${this.lastSeq}-${hash}`, created_at: createdAt, exploration: this.#opts.exploration, kinds, dwell_bars: DWELL_BARS, data };
  }
}
