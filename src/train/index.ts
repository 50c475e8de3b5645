/**
 * Public surface of training. The store and CLI hand in labeled jumps; nothing here touches SQL or
 * paths except the explicit `writeModelFile`.
 */
export { trainModel, type TrainProgress, type TrainResult, type FoldDetail, type GridPoint } from './trainer.js';
export { AUTO_INLINE_CELLS, DEFAULT_L2_GRID, type TrainOptions } from './options.js';
export { buildDataset, DEFAULT_MIN_EXAMPLES, type Dataset, type Label, type LabeledJump, type LabelCounts } from './dataset.js';
export { auc, brier, ece, logLoss, metricSet, type MetricSet } from './metrics.js';
export { decidePromotion, PROMOTION_MIN_NATS, PROMOTION_MIN_RELATIVE } from './promotion.js';
export { createEvaluator, PoolEvaluator, type GradientEvaluator } from './pool.js';
export { readModelFile, writeModelFile } from './model-file.js';
export { createRng } from './prng.js';
export type { ModelJson } from '../policy/model.js';
export { validateModelJson } from '../policy/model.js';
