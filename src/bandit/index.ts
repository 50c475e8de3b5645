/** The contextual bandit's browser-safe surface: decision kinds and features, exploration, the policy file. */
export { DECISION_KINDS, DWELL_BARS, FEATURE_NAMES_BY_KIND, FEATURE_WIDTH_BY_KIND, dwellActionFeatures, dwellFeatures, jumpFeatures, rawValue, type DecisionKind, type DwellLog } from './actions.js';
export { applyFloor, drawAction, epsilonGreedyProbabilities, squareCbProbabilities } from './explore.js';
export {
  BANDIT_ALGORITHMS, POLICY_FORMAT, actionProbabilities, coldStartPolicy, decide, predict, validateBanditPolicy,
  type BanditAlgorithm, type BanditDecision, type BanditPolicy, type Exploration, type KindModel,
} from './policy.js';
