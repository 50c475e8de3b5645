/** The typed protocol between the server's main thread and the learner thread (worker.ts). */
import type { Exploration } from '../bandit/index.js';
import type { StoreTarget } from '../store/open.js';
import type { RewardRules } from './rewards.js';

export interface LearnerInit {
  /** What the thread's own store opens (openStore): RL_DATABASE_URL, RL_DB_POOL, else the SQLite file. */
  store: StoreTarget;
  policyPath: string;
  rules: RewardRules;
  exploration: Exploration;
  gammaScale: number;
  publishEvery: number;
  /** The promotion gate's minimum of decisions with a reward (RL_BANDIT_MIN_DECISIONS). */
  minDecisions: number;
  /** Pause between passes when nothing is waiting (ms). */
  tickMs: number;
  /** On PostgreSQL: how often a node that is not the learner asks for the learner's lock (ms). */
  electionMs: number;
}

export interface LearnerStatus {
  /**
   * leader: this node learns. follower (PostgreSQL): another node holds the learner's lock; this one
   * serves the versions it promotes and takes over when it goes.
   */
  role: 'leader' | 'follower';
  /** The active policy's version, or null (the cold start is served). */
  active: string | null;
  /** The newest candidate that was not promoted, and why. */
  candidate: string | null;
  last_verdict: string | null;
  /** Reward-log entries applied by the learner, and the last seq. */
  applied: number;
  last_seq: number;
  /** Policies published since start-up. */
  published: number;
  /** Rewards in the model per kind. */
  rewards: { jump: number; dwell: number };
  /** Decisions still waiting for an implicit reward. */
  pending: number;
  /** Wall time of the last pass (ms). */
  last_pass_ms: number;
  updated_at: number;
}

export type ToLearner = { type: 'poke' } | { type: 'close' };

export type FromLearner =
  | { type: 'ready'; status: LearnerStatus }
  | { type: 'status'; status: LearnerStatus }
  | { type: 'error'; message: string }
  | { type: 'closed' };
