/**
 * The analysis pool: Piscina over dist/src/analysis/worker.js, with de-duplication of concurrent requests
 * for the same key (e.g. `${sha256}:${ANALYSIS_VERSION}`): the first caller starts the computation, later
 * callers for the same key share its promise until it settles.
 */
import { Piscina } from 'piscina';
import { ErrorCodes, errors, HarmonizerError, type ErrorCode } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import type { AnalysisTask } from './messages.js';
import { resolveOptions } from './options.js';
import type { AnalysisResult } from './types.js';

export interface AnalysisPoolOptions {
  /** Worker threads, 1 .. 64 (e.g. config.threads). */
  maxThreads: number;
  /** Worker module; default `distModule('analysis/worker.js')` (workers load compiled JS). */
  filename?: string;
}

/** Restores the code a worker put in front of its message ("[CODE] message"), else ANALYSIS_FAILED. */
function fromWorkerError(e: unknown): HarmonizerError {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(msg);
  if (m && m[1] in ErrorCodes) return new HarmonizerError(m[1] as ErrorCode, m[2], { cause: e });
  return new HarmonizerError('ANALYSIS_FAILED', `analysis worker failed: ${msg}`, { cause: e });
}

export class AnalysisPool {
  readonly #pool: Piscina<AnalysisTask, AnalysisResult>;
  readonly #inflight = new Map<string, Promise<AnalysisResult>>();
  #closed = false;

  constructor(opts: AnalysisPoolOptions) {
    const n = opts?.maxThreads;
    if (!Number.isSafeInteger(n) || n < 1 || n > 64) {
      throw errors.invalidArgument(`AnalysisPool: maxThreads must be an integer from 1 to 64 (got ${String(n)})`);
    }
    if (opts.filename !== undefined && (typeof opts.filename !== 'string' || opts.filename === '')) {
      throw errors.invalidArgument('AnalysisPool: filename must be a non-empty path');
    }
    // Idle threads stay 30 s, as in the render pool (a new thread costs a module load).
    this.#pool = new Piscina({ filename: opts.filename ?? distModule('analysis/worker.js'), minThreads: 1, maxThreads: n, idleTimeout: 30_000 });
  }

  /** Number of computations currently running or queued (after de-duplication). */
  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Analyzes in a worker. Concurrent calls with the same `key` share one computation (the key must identify
   * the audio and options, e.g. track sha256 + analysis version). Options are validated here, on the calling
   * thread, so INVALID_ARGUMENT keeps its code; worker failures become ANALYSIS_FAILED.
   */
  analyze(key: string, task: AnalysisTask): Promise<AnalysisResult> {
    if (typeof key !== 'string' || key === '') return Promise.reject(errors.invalidArgument('AnalysisPool.analyze: key must be a non-empty string'));
    if (this.#closed) return Promise.reject(new HarmonizerError('ANALYSIS_FAILED', 'the analysis pool is closed'));
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    let p: Promise<AnalysisResult>;
    try {
      resolveOptions(task?.options);
      if (!task || !Array.isArray(task.channels) || task.channels.length === 0 || !task.channels.every((c) => c instanceof SharedArrayBuffer)) {
        throw errors.invalidArgument('task.channels must be a non-empty array of SharedArrayBuffer');
      }
      p = this.#pool.run(task).catch((e: unknown) => {
        throw fromWorkerError(e);
      });
    } catch (e) {
      return Promise.reject(e);
    }
    const shared = p.finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, shared);
    return shared;
  }

  /** Waits for running tasks, then stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }
}
