/**
 * The typed worker boundary of the analysis pool. Everything is structured-cloneable; PCM travels as
 * SharedArrayBuffers of float32 samples, which postMessage shares (no copy of a 50 MB track per task).
 */
import type { AnalysisOptions } from './options.js';

export interface AnalysisTask {
  /** One SharedArrayBuffer per channel, each holding `Float32Array` samples of equal length. */
  readonly channels: readonly SharedArrayBuffer[];
  /** Hz, integer 4000 .. 384000. */
  readonly sampleRate: number;
  readonly options?: AnalysisOptions;
}

/** Copies channel data into SharedArrayBuffers (for callers whose PCM is not already shared). Cost O(n). */
export function toSharedChannels(channels: readonly Float32Array[]): SharedArrayBuffer[] {
  return channels.map((ch) => {
    const sab = new SharedArrayBuffer(ch.byteLength);
    new Float32Array(sab).set(ch);
    return sab;
  });
}

/** Float32 views over a task's shared channels (no copy). Precondition: each byteLength is a multiple of 4. */
export function channelViews(task: Pick<AnalysisTask, 'channels'>): Float32Array[] {
  return task.channels.map((sab) => new Float32Array(sab));
}
