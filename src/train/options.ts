/** Options of `trainModel`, validated once at the public entry; errors name the option. */
import { availableParallelism } from 'node:os';
import { errors } from '../shared/errors.js';
import { DEFAULT_MIN_EXAMPLES } from './dataset.js';
import type { GradientEvaluator } from './pool.js';
import { MAX_SEED } from './prng.js';

export interface TrainOptions {
  /** uint32 seed for fold assignment. Default 1. */
  readonly seed?: number;
  /** Cross-validation folds, 2..20. Default 5. */
  readonly folds?: number;
  /** L2 strengths tried by cross-validation (each > 0, finite). Default [1e-4, 1e-3, 1e-2, 1e-1, 1]. */
  readonly l2Grid?: readonly number[];
  /** Refuse below this many labeled examples (≥ folds). Default 20. */
  readonly minExamples?: number;
  /** L-BFGS iteration cap per fit, 1..10000. Default 200. */
  readonly maxIterations?: number;
  /** L-BFGS gradient tolerance, > 0. Default 1e-7. */
  readonly tolerance?: number;
  /**
   * Worker threads, 0..64 (0 = inline on this thread). Default: inline below AUTO_INLINE_CELLS matrix cells
   * (thread start-up and per-slice messages cost more than they save there), else available parallelism.
   * Results are identical either way. Ignored with `pool`.
   */
  readonly workers?: number;
  /** A gradient evaluator to reuse (the caller closes it). */
  readonly pool?: GradientEvaluator;
  /** Clock for created_at / version (tests). Default () => new Date(). */
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
}

/** rows × cols below which the default is to evaluate inline (measured: ~20 000 × 22 breaks even). */
export const AUTO_INLINE_CELLS = 400_000;

export const DEFAULT_L2_GRID: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1];

export interface ResolvedOptions {
  readonly seed: number;
  readonly folds: number;
  readonly l2Grid: readonly number[];
  readonly minExamples: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  /** undefined = decide from the matrix size (see TrainOptions.workers). */
  readonly workers: number | undefined;
  readonly pool: GradientEvaluator | undefined;
  readonly now: () => Date;
  readonly signal: AbortSignal | undefined;
}

const bad = (name: string, what: string, got: unknown) =>
  errors.invalidArgument(`options.${name} must be ${what} (got ${Array.isArray(got) ? `[${got.join(', ')}]` : String(got)})`);

function int(o: TrainOptions, name: keyof TrainOptions, def: number, min: number, max: number): number {
  const v = o[name] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(name, `an integer from ${min} to ${max}`, v);
  return v;
}

export function resolveOptions(o: TrainOptions = {}): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw errors.invalidArgument('options must be an object');
  const seed = int(o, 'seed', 1, 0, MAX_SEED);
  const folds = int(o, 'folds', 5, 2, 20);
  const minExamples = int(o, 'minExamples', DEFAULT_MIN_EXAMPLES, folds, Number.MAX_SAFE_INTEGER);
  const maxIterations = int(o, 'maxIterations', 200, 1, 10_000);
  const workers = o.workers === undefined ? undefined : int(o, 'workers', 0, 0, 64);
  const tolerance = o.tolerance ?? 1e-7;
  if (typeof tolerance !== 'number' || !(tolerance > 0) || !Number.isFinite(tolerance)) throw bad('tolerance', 'a positive number', tolerance);
  const l2Grid = o.l2Grid ?? DEFAULT_L2_GRID;
  if (!Array.isArray(l2Grid) || l2Grid.length === 0 || !l2Grid.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))) {
    throw bad('l2Grid', 'a non-empty array of positive finite numbers', l2Grid);
  }
  if (o.now !== undefined && typeof o.now !== 'function') throw bad('now', 'a function returning a Date', o.now);
  if (o.pool !== undefined && typeof o.pool?.sums !== 'function') throw bad('pool', 'a GradientEvaluator', o.pool);
  return {
    seed,
    folds,
    l2Grid: [...l2Grid],
    minExamples,
    maxIterations,
    tolerance,
    workers,
    pool: o.pool,
    now: o.now ?? (() => new Date()),
    signal: o.signal,
  };
}

/** Worker count for a matrix of rows × cols under the resolved options. */
export function workersFor(o: ResolvedOptions, rows: number, cols: number): number {
  if (o.workers !== undefined) return o.workers;
  return rows * cols < AUTO_INLINE_CELLS ? 0 : Math.min(64, availableParallelism());
}
