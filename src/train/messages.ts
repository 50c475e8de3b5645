/**
 * The typed boundary of the training pool. Matrices, targets, row weights and the partials output all
 * live in SharedArrayBuffers, which postMessage shares (never copies); only the few raw parameters are
 * copied. Failures come back as values so the error code survives the thread boundary.
 */

/** A row-major float64 matrix and its targets in shared memory. */
export interface SharedMatrix {
  /** rows × cols float64, row-major. */
  readonly x: SharedArrayBuffer;
  /** rows float64 soft targets. */
  readonly y: SharedArrayBuffer;
  readonly rows: number;
  readonly cols: number;
}

/** Compute the partials of chunks [chunkStart, chunkEnd) into `out` (chunk k at k · (cols + 3)). */
export interface GradientTask {
  readonly kind: 'gradient';
  readonly data: SharedMatrix;
  /** rows float64 per-row weights (0 = the row contributes nothing, e.g. held out), or null for all 1. */
  readonly weights: SharedArrayBuffer | null;
  /** Raw-space weights v (cols) followed by the raw bias c. */
  readonly params: Float64Array;
  readonly chunkRows: number;
  readonly chunkStart: number;
  readonly chunkEnd: number;
  /** chunks × (cols + 3) float64, written by the worker. */
  readonly out: SharedArrayBuffer;
}

export type TrainTask = GradientTask;

export interface TaskFailure {
  readonly ok: false;
  readonly code: 'INVALID_ARGUMENT';
  readonly message: string;
}

export type TaskReply = { readonly ok: true; readonly chunks: number } | TaskFailure;
