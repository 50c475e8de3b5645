/** The learner and its evaluation (Node side of the bandit; the browser-safe half is src/bandit). */
export { LearnerService, runningLearner } from './service.js';
export { LearnerLoop, writePolicyFile } from './loop.js';
export type { LearnerStatus } from './messages.js';
export { explorationOf } from './options.js';
export { rulesFromConfig, labelReward, jumpOutcome, dwellOutcome, type RewardRules } from './rewards.js';
export { joinRewards } from './join.js';
export { BanditLearner } from './learner.js';
export { banditTarget, baselineTarget, uniformTarget, loadEvaluationLog, evaluatePolicies, promotionGate, requireDecisions, type TargetPolicy, type PolicyEvaluation, type EvalDecision } from './evaluate.js';
export { parseDecisions, parseJump, parseDwell, decisionId, type ParsedDecision, type DwellLog } from './decisions.js';
