/**
 * Real Piscina worker threads (dist/src/train/worker.js: run `npx tsc -p tsconfig.json` first, as `make test` does).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distModule } from '../src/shared/paths.js';
import { buildDataset, standardization } from '../src/train/dataset.js';
import { rawParams } from '../src/train/logreg.js';
import { PoolEvaluator, inlineEvaluator, shareMatrix, sharedFloat64 } from '../src/train/pool.js';
import { createRng } from '../src/train/prng.js';
import { trainModel } from '../src/train/index.js';
import { syntheticJumps } from '../src/train/synthetic.js';

beforeAll(() => {
  if (!existsSync(distModule('train/worker.js'))) throw new Error('dist/src/train/worker.js missing: run npx tsc -p tsconfig.json');
});

describe('gradient pool', () => {
  const ds = buildDataset(syntheticJumps(5000, 3));
  const data = shareMatrix(ds.x, ds.y, ds.rows, ds.cols);
  const r = createRng(1);
  const weights = sharedFloat64(Float64Array.from({ length: ds.rows }, () => (r() < 0.2 ? 0 : 1)));
  const st = standardization(ds.x, ds.rows, ds.cols, null);
  const theta = Float64Array.from({ length: ds.cols + 1 }, () => r() - 0.5);
  const { v, c } = rawParams(theta, st);
  const pools: PoolEvaluator[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it('1, 2 and 4 workers return bit-identical sums, equal to the inline evaluator', async () => {
    const ref = await inlineEvaluator().sums(data, weights, v, c);
    for (const n of [1, 2, 4]) {
      const pool = new PoolEvaluator(n);
      pools.push(pool);
      expect(Array.from(await pool.sums(data, weights, v, c))).toEqual(Array.from(ref));
    }
  });

  it('a malformed task fails the evaluation with the worker\'s message', async () => {
    const pool = new PoolEvaluator(1);
    pools.push(pool);
    await expect(pool.sums({ ...data, rows: ds.rows * 2 }, null, v, c)).rejects.toThrow(/training worker: matrix buffers too small/);
  });

  it('a worker that dies mid-task fails the evaluation instead of hanging', async () => {
    const rows = 200_000; // ~20 ms per pass: long enough to kill the thread mid-slice
    const big = shareMatrix(new Float64Array(rows * 32).fill(0.5), new Float64Array(rows).fill(1), rows, 32);
    const pool = new PoolEvaluator(1);
    pools.push(pool);
    await pool.sums(big, null, new Float64Array(32), 0); // threads up
    const pending = pool.sums(big, null, new Float64Array(32), 0);
    const failed = expect(pending).rejects.toThrow(/training worker failed/);
    await pool.workerThreads[0].terminate();
    await failed;
  });

  it('close() waits for running slices (no late-message crash)', async () => {
    const pool = new PoolEvaluator(2);
    const pending = pool.sums(data, null, v, c);
    await pool.close();
    expect((await pending).length).toBe(ds.cols + 3);
  });

  it('rejects a bad worker count naming it', () => {
    expect(() => new PoolEvaluator(0)).toThrow(/workers must be an integer from 1 to 64/);
  });
});

describe('trainModel across worker counts', () => {
  it('gives the same weights for 1, 2 and 4 workers (within 1e-9; in fact bit-identical)', async () => {
    const ex = syntheticJumps(4500, 21);
    const opts = { seed: 5, folds: 3, l2Grid: [1e-3, 1e-1], now: () => new Date(0) };
    const results = [];
    for (const workers of [1, 2, 4]) results.push(await trainModel(ex, { ...opts, workers }));
    const [a, ...rest] = results;
    for (const b of rest) {
      b.model.weights.forEach((w, j) => expect(Math.abs(w - a.model.weights[j])).toBeLessThanOrEqual(1e-9));
      expect(Math.abs(b.model.bias - a.model.bias)).toBeLessThanOrEqual(1e-9);
      expect(b.model.weights).toEqual(a.model.weights);
      expect(b.metrics).toEqual(a.metrics);
      expect(b.model.version).toBe(a.model.version);
    }
  });
});
