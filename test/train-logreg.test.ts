import { describe, expect, it } from 'vitest';
import { standardization } from '../src/train/dataset.js';
import { minimizeLbfgs } from '../src/train/lbfgs.js';
import { logSigmoid, objective, sigmoid, softplus } from '../src/train/logreg.js';
import { createRng } from '../src/train/prng.js';

function problem(rows: number, cols: number, seed: number) {
  const r = createRng(seed);
  const x = Float64Array.from({ length: rows * cols }, () => r() * 4 - 1 + (r() < 0.1 ? 5 : 0));
  const y = Float64Array.from({ length: rows }, () => [0, 0.5, 1][Math.floor(r() * 3)]);
  const w = Float64Array.from({ length: rows }, () => (r() < 0.2 ? 0 : 1));
  return { x, y, w };
}

describe('logistic kernels', () => {
  it('stable softplus / sigmoid / log-sigmoid in both tails', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(logSigmoid(-1000)).toBe(-1000);
    expect(Number.isFinite(logSigmoid(-1e6))).toBe(true);
    expect(sigmoid(0.3)).toBeCloseTo(1 / (1 + Math.exp(-0.3)), 15);
  });

  it('analytic gradient matches central finite differences (weights, standardization, L2)', () => {
    const rows = 2500; // > 2 chunks, includes a partial 4-row block at the end
    const cols = 7;
    const { x, y, w } = problem(rows + 3, cols, 11);
    const st = standardization(x, rows + 3, cols, w);
    const r = createRng(5);
    const theta = Float64Array.from({ length: cols + 1 }, () => r() - 0.5);
    const l2 = 0.05;
    const { g } = objective(x, y, w, rows + 3, theta, st, l2);
    for (let k = 0; k <= cols; k++) {
      const h = 1e-6;
      const tp = Float64Array.from(theta);
      const tm = Float64Array.from(theta);
      tp[k] += h;
      tm[k] -= h;
      const fd = (objective(x, y, w, rows + 3, tp, st, l2).f - objective(x, y, w, rows + 3, tm, st, l2).f) / (2 * h);
      expect(Math.abs(fd - g[k])).toBeLessThan(1e-7 * Math.max(1, Math.abs(g[k])));
    }
  });

  it('objective equals a naive per-row computation', () => {
    const rows = 1030;
    const cols = 5;
    const { x, y, w } = problem(rows, cols, 2);
    const st = standardization(x, rows, cols, w);
    const theta = Float64Array.from([0.3, -0.2, 0.1, 0.5, -0.4, 0.2]);
    let loss = 0;
    let W = 0;
    for (let i = 0; i < rows; i++) {
      let z = theta[cols];
      for (let j = 0; j < cols; j++) z += (theta[j] * (x[i * cols + j] - st.mean[j])) / st.std[j];
      const p = 1 / (1 + Math.exp(-z));
      loss += w[i] * -(y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p));
      W += w[i];
    }
    const pen = 0.5 * 0.1 * theta.subarray(0, cols).reduce((a, b) => a + b * b, 0);
    expect(objective(x, y, w, rows, theta, st, 0.1).f).toBeCloseTo(loss / W + pen, 10);
  });

  it('L-BFGS finds the minimum of a convex quadratic', async () => {
    const target = Float64Array.from([1, -2, 3]);
    const scale = [1, 10, 100];
    const r = await minimizeLbfgs(
      async (t) => ({
        f: t.reduce((s, v, i) => s + 0.5 * scale[i] * (v - target[i]) ** 2, 0),
        g: t.map((v, i) => scale[i] * (v - target[i])),
      }),
      3,
      { maxIterations: 100, tolerance: 1e-10 },
    );
    expect(r.converged).toBe(true);
    r.theta.forEach((v, i) => expect(v).toBeCloseTo(target[i], 6));
  });

  it('L-BFGS honours an abort signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      minimizeLbfgs(async (t) => ({ f: t[0] ** 2 + 1, g: t.map((v) => 2 * v + 1) }), 1, {
        maxIterations: 10,
        tolerance: 1e-12,
        signal: ac.signal,
      }),
    ).rejects.toThrow();
  });
});
