import type { Exploration } from '../bandit/index.js';
import type { Config } from '../shared/config.js';

/** The exploration settings of the configuration (RL_BANDIT_ALGO, RL_BANDIT_FLOOR, RL_POLICY_EPS). */
export function explorationOf(c: Pick<Config, 'banditAlgorithm' | 'banditFloor' | 'policyEps'>): Exploration {
  return { algorithm: c.banditAlgorithm, floor: c.banditFloor, epsilon: c.policyEps };
}
