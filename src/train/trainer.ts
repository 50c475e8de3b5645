/**
 * trainModel: dataset → stratified k-fold CV over the L2 grid (model and similarity-only baseline, all fits
 * concurrently through one gradient pool) → λ by pooled out-of-fold log-loss → final fit on all rows →
 * ModelJson + promotion decision. Deterministic for a given seed: fits start at 0, use no randomness, and
 * the pool's fixed chunk partition makes every gradient independent of the worker count.
 */
import { FEATURE_NAMES } from '../policy/features.js';
import type { ModelJson } from '../policy/model.js';
import { buildDataset, selectColumns, standardization, type LabelCounts, type LabeledJump, type Standardization } from './dataset.js';
import { assignFolds } from './folds.js';
import { minimizeLbfgs } from './lbfgs.js';
import { objectiveFromSums, rawParams, rowLogit, sigmoid } from './logreg.js';
import { logLoss, metricSet, type MetricSet } from './metrics.js';
import { resolveOptions, workersFor, type ResolvedOptions, type TrainOptions } from './options.js';
import { createEvaluator, shareMatrix, sharedFloat64, type GradientEvaluator, type SharedMatrix } from './pool.js';
import { decidePromotion } from './promotion.js';

export interface TrainProgress {
  /** 'epoch': one optimizer iteration of a model fit; 'fold': a (fold, l2) fit done, loss = its held-out
   * log-loss; 'final': the final fit on all rows done, loss = its training objective. */
  readonly stage: 'fold' | 'epoch' | 'final';
  /** Fold index 0..k−1, or null for the final fit on all rows. */
  readonly fold: number | null;
  readonly l2: number;
  readonly epoch: number;
  readonly loss: number;
}

export interface FoldDetail {
  readonly fold: number;
  readonly n_train: number;
  readonly n_test: number;
  /** Held-out log-loss of the model (chosen λ) and of the baseline (its chosen λ) on this fold. */
  readonly log_loss: number;
  readonly baseline_log_loss: number;
  readonly iterations: number;
}

export interface GridPoint {
  readonly l2: number;
  /** Pooled out-of-fold log-loss. */
  readonly log_loss: number;
  readonly baseline_log_loss: number;
}

export interface TrainResult {
  readonly model: ModelJson;
  /** Held-out (pooled out-of-fold) metrics of the model at the chosen λ. */
  readonly metrics: MetricSet;
  readonly baselineMetrics: MetricSet;
  readonly promoted: boolean;
  readonly reason: string;
  readonly folds: readonly FoldDetail[];
  readonly grid: readonly GridPoint[];
}

/** Baseline columns: similarity and its missing indicator. */
const BASELINE_COLUMNS = ['similarity', 'similarity_missing'].map((name) => {
  const j = FEATURE_NAMES.indexOf(name);
  if (j < 0) throw new Error(`baseline feature ${name} is not in FEATURE_NAMES`);
  return j;
});

interface Problem {
  readonly data: SharedMatrix;
  /** Host copy of the matrix, for predictions and standardization. */
  readonly x: Float64Array;
}

interface Fit {
  readonly theta: Float64Array;
  readonly st: Standardization;
  readonly f: number;
  readonly iterations: number;
}

async function fit(
  pool: GradientEvaluator,
  problem: Problem,
  weights: SharedArrayBuffer | null,
  st: Standardization,
  l2: number,
  o: ResolvedOptions,
  onIteration?: (epoch: number, loss: number) => void,
): Promise<Fit> {
  const r = await minimizeLbfgs(
    async (theta) => {
      const { v, c } = rawParams(theta, st);
      return objectiveFromSums(await pool.sums(problem.data, weights, v, c), theta, st, l2);
    },
    problem.data.cols + 1,
    { maxIterations: o.maxIterations, tolerance: o.tolerance, onIteration, signal: o.signal },
  );
  return { theta: r.theta, st, f: r.f, iterations: r.iterations };
}

const predict = (problem: Problem, f: Fit, i: number) => sigmoid(rowLogit(problem.x, problem.data.cols, i, f.theta, f.st));

/**
 * Trains, cross-validates and compares with the baseline. Throws TRAINING_REFUSED (too few examples, one
 * class, non-finite features) or INVALID_ARGUMENT (bad options or examples) before any work. Never writes
 * files: the caller writes `result.model` (writeModelFile) when `promoted` and records it either way.
 */
export async function trainModel(
  examples: readonly LabeledJump[],
  options: TrainOptions = {},
  onProgress?: (event: TrainProgress) => void,
): Promise<TrainResult> {
  const t0 = performance.now();
  const o = resolveOptions(options);
  const ds = buildDataset(examples, { minExamples: o.minExamples, minPerClass: o.folds });
  const { rows, cols, y } = ds;
  const k = o.folds;
  const foldOf = assignFolds(y, k, o.seed);
  const full: Problem = { data: shareMatrix(ds.x, y, rows, cols), x: ds.x };
  const bx = selectColumns(ds.x, rows, cols, BASELINE_COLUMNS);
  const base: Problem = { data: shareMatrix(bx, y, rows, BASELINE_COLUMNS.length), x: bx };

  const pool = o.pool ?? createEvaluator(workersFor(o, rows, cols));
  // One failed fit stops the others at their next iteration instead of letting them run on unobserved.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const run: ResolvedOptions = { ...o, signal };
  try {
    // Per fold: train-row weights (1 train, 0 held out) in shared memory, and train-only standardization.
    const folds = Array.from({ length: k }, (_, f) => {
      const w = new Float64Array(rows);
      const test: number[] = [];
      for (let i = 0; i < rows; i++) {
        if (foldOf[i] === f) test.push(i);
        else w[i] = 1;
      }
      return {
        weights: sharedFloat64(w),
        test,
        nTrain: rows - test.length,
        stFull: standardization(ds.x, rows, cols, w),
        stBase: standardization(bx, rows, BASELINE_COLUMNS.length, w),
      };
    });

    const G = o.l2Grid.length;
    const oofModel = o.l2Grid.map(() => new Float64Array(rows));
    const oofBase = o.l2Grid.map(() => new Float64Array(rows));
    const iters: number[][] = o.l2Grid.map(() => new Array<number>(k).fill(0));
    const jobs: Promise<void>[] = [];
    for (let g = 0; g < G; g++) {
      const l2 = o.l2Grid[g];
      for (let f = 0; f < k; f++) {
        const fd = folds[f];
        jobs.push(
          fit(pool, full, fd.weights, fd.stFull, l2, run, (epoch, loss) =>
            onProgress?.({ stage: 'epoch', fold: f, l2, epoch, loss }),
          ).then((m) => {
            for (const i of fd.test) oofModel[g][i] = predict(full, m, i);
            iters[g][f] = m.iterations;
            onProgress?.({
              stage: 'fold',
              fold: f,
              l2,
              epoch: m.iterations,
              loss: logLoss(fd.test.map((i) => y[i]), fd.test.map((i) => oofModel[g][i])),
            });
          }),
          fit(pool, base, fd.weights, fd.stBase, l2, run).then((b) => {
            for (const i of fd.test) oofBase[g][i] = predict(base, b, i);
          }),
        );
      }
    }
    const failFast = (err: unknown): never => {
      stop.abort(err);
      throw err;
    };
    await Promise.all(jobs.map((j) => j.catch(failFast)));

    // λ by pooled out-of-fold log-loss; first minimum in grid order on ties (deterministic).
    const grid: GridPoint[] = o.l2Grid.map((l2, g) => ({
      l2,
      log_loss: logLoss(y, oofModel[g]),
      baseline_log_loss: logLoss(y, oofBase[g]),
    }));
    const argmin = (key: 'log_loss' | 'baseline_log_loss') =>
      grid.reduce((best, p, g) => (p[key] < grid[best][key] ? g : best), 0);
    const gm = argmin('log_loss');
    const gb = argmin('baseline_log_loss');
    const metrics = metricSet(y, oofModel[gm]);
    const baselineMetrics = metricSet(y, oofBase[gb]);
    const foldDetail: FoldDetail[] = folds.map((fd, f) => ({
      fold: f,
      n_train: fd.nTrain,
      n_test: fd.test.length,
      log_loss: logLoss(fd.test.map((i) => y[i]), fd.test.map((i) => oofModel[gm][i])),
      baseline_log_loss: logLoss(fd.test.map((i) => y[i]), fd.test.map((i) => oofBase[gb][i])),
      iterations: iters[gm][f],
    }));

    // Final model: all rows, standardization over all rows, the chosen λ.
    const l2 = o.l2Grid[gm];
    const stAll = standardization(ds.x, rows, cols, null);
    const final = await fit(pool, full, null, stAll, l2, run, (epoch, loss) =>
      onProgress?.({ stage: 'epoch', fold: null, l2, epoch, loss }),
    );
    onProgress?.({ stage: 'final', fold: null, l2, epoch: final.iterations, loss: final.f });
    const pTrain = Float64Array.from({ length: rows }, (_, i) => predict(full, final, i));
    const decision = decidePromotion(metrics, baselineMetrics);
    const createdAt = o.now();
    const model: ModelJson = {
      version: `${createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${ds.dataHash.slice(0, 8)}`,
      created_at: createdAt.toISOString(),
      feature_names: [...FEATURE_NAMES],
      mean: Array.from(stAll.mean),
      std: Array.from(stAll.std),
      weights: Array.from(final.theta.subarray(0, cols)),
      bias: final.theta[cols],
      metrics: { held_out: metrics, baseline: baselineMetrics, train: metricSet(y, pTrain), k_folds: k },
      n_examples: rows,
      label_counts: { ...ds.labelCounts } satisfies LabelCounts,
      data_hash: ds.dataHash,
      training_ms: Math.round(performance.now() - t0),
      l2,
      seed: o.seed,
    };
    return { model, metrics, baselineMetrics, ...decision, folds: foldDetail, grid };
  } finally {
    if (!o.pool) await pool.close();
  }
}
