/** Public surface of the track analysis: everything else in src/analysis is an implementation detail. */
export { analyzePcm, ANALYSIS_PARAMS, type PcmInput } from './analyze.js';
export { resolveOptions, DEFAULT_OPTIONS, type AnalysisOptions } from './options.js';
export { DISTANCE_WEIGHTS, AUTO_THRESHOLD } from './candidates.js';
export { beatFMeasure, type FMeasure } from './metrics.js';
export {
  ANALYSIS_VERSION,
  STAGES,
  type AnalysisResult,
  type AnalysisStatus,
  type Beat,
  type Candidate,
  type Section,
  type StageName,
  type StageTimings,
  type TrackMeta,
} from './types.js';
export type { AnalysisTask } from './messages.js';
export { toSharedChannels } from './messages.js';
export { AnalysisPool, type AnalysisPoolOptions } from './pool.js';
