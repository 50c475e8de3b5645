/**
 * Piscina worker of the analysis pool (loaded as compiled JS from dist/src/analysis/worker.js).
 * The default export analyzes one task: float32 views over the shared channels, no copy, then analyzePcm.
 * A HarmonizerError thrown here reaches the pool as a plain Error (structured clone drops `code`), so the
 * message is prefixed with the code and the pool restores it.
 */
import { HarmonizerError } from '../shared/errors.js';
import { analyzePcm } from './analyze.js';
import { channelViews, type AnalysisTask } from './messages.js';
import type { AnalysisResult } from './types.js';

export default async function analyze(task: AnalysisTask): Promise<AnalysisResult> {
  try {
    if (!task || !Array.isArray(task.channels) || !task.channels.every((c) => c instanceof SharedArrayBuffer)) {
      throw new HarmonizerError('INVALID_ARGUMENT', 'task.channels must be an array of SharedArrayBuffer');
    }
    return analyzePcm({ channels: channelViews(task), sampleRate: task.sampleRate }, task.options);
  } catch (err) {
    if (err instanceof HarmonizerError) throw new Error(`[${err.code}] ${err.message}`);
    throw err;
  }
}
