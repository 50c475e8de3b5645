/** The typed protocol between the server's main thread and the learner thread (worker.ts). */
import type { Exploration } from '../bandit/index.js';
import type { RewardRules } from './rewards.js';

export interface LearnerInit {
  dbPath: string;
  policyPath: string;
  rules: RewardRules;
  exploration: Exploration;
  gammaScale: number;
  publishEvery: number;
  /** The promotion gate's minimum of decisions with a reward (RL_BANDIT_MIN_DECISIONS). */
  minDecisions: number;
  /** Pause between passes when nothing is waiting (ms). */
  tickMs: number;
}

export interface LearnerStatus {
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
