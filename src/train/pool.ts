/**
 * Gradient evaluators: the same fixed chunk partition either on Piscina worker threads (one contiguous run
 * of chunks per thread) or inline on the calling thread. Both sum chunk partials in chunk order, so the
 * result is bit-identical for 0, 1, 2 or 4 workers.
 */
import { Piscina } from 'piscina';
import { HarmonizerError, errors } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import { CHUNK_ROWS, chunkCount, chunkPartials, partialStride, sumPartials } from './logreg.js';
import type { GradientTask, SharedMatrix, TaskReply } from './messages.js';

export type { SharedMatrix } from './messages.js';

export interface GradientEvaluator {
  /** Worker threads used (0 = inline on the calling thread). */
  readonly threads: number;
  /**
   * Summed partials [Σ s ℓ, Σ s, Σ s r, Σ s r x_j …] of the whole matrix for raw parameters (v, c).
   * `weights`: per-row weights (null = all 1).
   */
  sums(data: SharedMatrix, weights: SharedArrayBuffer | null, v: Float64Array, c: number): Promise<Float64Array>;
  close(): Promise<void>;
}

/** Copies a matrix and its targets into shared memory (once per training run). Cost: O(rows · cols). */
export function shareMatrix(x: Float64Array, y: Float64Array, rows: number, cols: number): SharedMatrix {
  const xs = new SharedArrayBuffer(rows * cols * 8);
  new Float64Array(xs).set(x.subarray(0, rows * cols));
  const ys = new SharedArrayBuffer(rows * 8);
  new Float64Array(ys).set(y.subarray(0, rows));
  return { x: xs, y: ys, rows, cols };
}

/** A Float64Array in shared memory. */
export function sharedFloat64(values: ArrayLike<number>): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(values.length * 8);
  new Float64Array(sab).set(values);
  return sab;
}

/** Evaluates on the calling thread: for tiny problems and as the reference the pool must match. */
export function inlineEvaluator(chunkRows = CHUNK_ROWS): GradientEvaluator {
  return {
    threads: 0,
    async sums(data, weights, v, c) {
      const chunks = chunkCount(data.rows, chunkRows);
      const stride = partialStride(data.cols);
      const out = new Float64Array(chunks * stride);
      chunkPartials(
        new Float64Array(data.x),
        new Float64Array(data.y),
        weights ? new Float64Array(weights) : null,
        data.rows,
        data.cols,
        v,
        c,
        0,
        chunks,
        chunkRows,
        out,
      );
      return sumPartials(out, chunks, stride);
    },
    async close() {},
  };
}

/** Piscina pool running src/train/worker.ts (compiled to dist/src/train/worker.js). */
export class PoolEvaluator implements GradientEvaluator {
  private readonly piscina: Piscina<GradientTask, TaskReply>;
  private closed = false;
  /** Tasks posted and not yet settled: close() waits for them (see close). */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Precondition: `npx tsc` has emitted dist/src/train/worker.js. */
  constructor(
    readonly threads: number,
    private readonly chunkRows = CHUNK_ROWS,
  ) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw errors.invalidArgument(`workers must be an integer from 1 to 64 (got ${threads})`);
    }
    this.piscina = new Piscina<GradientTask, TaskReply>({
      filename: distModule('train/worker.js'),
      minThreads: threads,
      maxThreads: threads,
      // Tasks are CPU-bound slices; idle threads are kept for the whole training run.
      idleTimeout: 60_000,
    });
  }

  async sums(data: SharedMatrix, weights: SharedArrayBuffer | null, v: Float64Array, c: number): Promise<Float64Array> {
    const chunks = chunkCount(data.rows, this.chunkRows);
    const stride = partialStride(data.cols);
    const out = new SharedArrayBuffer(chunks * stride * 8);
    const params = new Float64Array(data.cols + 1);
    params.set(v);
    params[data.cols] = c;
    // One contiguous run of chunks per thread; the partition of ROWS into chunks does not depend on this split.
    const tasks = Math.max(1, Math.min(this.threads, chunks));
    const runs: Promise<TaskReply>[] = [];
    for (let t = 0; t < tasks; t++) {
      const chunkStart = Math.floor((t * chunks) / tasks);
      const chunkEnd = Math.floor(((t + 1) * chunks) / tasks);
      const run = this.piscina.run({ kind: 'gradient', data, weights, params, chunkRows: this.chunkRows, chunkStart, chunkEnd, out });
      const settled: Promise<unknown> = run.then(
        (): boolean => this.inFlight.delete(settled),
        (): boolean => this.inFlight.delete(settled),
      );
      this.inFlight.add(settled);
      runs.push(run);
    }
    let replies: TaskReply[];
    try {
      replies = await Promise.all(runs);
    } catch (cause) {
      // A worker that throws or dies (exit, OOM) rejects its task; the evaluation, and so the fit, fails.
      throw new Error(`training worker failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    for (const r of replies) if (!r.ok) throw new HarmonizerError(r.code, r.message);
    return sumPartials(new Float64Array(out), chunks, stride);
  }

  /**
   * Waits for tasks still running, then stops the threads. Why wait: Piscina throws an uncaught
   * "Unexpected message from Worker" when a task finishes after destroy(), which would crash the process
   * after a failed fit. Slices are milliseconds long, so the wait is short.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.piscina.destroy();
  }

  /** The pool's worker threads (for tests that kill one). */
  get workerThreads(): readonly { terminate(): Promise<number> }[] {
    return this.piscina.threads;
  }
}

/** A pool of `workers` threads, or the inline evaluator for 0. */
export function createEvaluator(workers: number, chunkRows = CHUNK_ROWS): GradientEvaluator {
  return workers === 0 ? inlineEvaluator(chunkRows) : new PoolEvaluator(workers, chunkRows);
}
