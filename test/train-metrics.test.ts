import { describe, expect, it } from 'vitest';
import { auc, brier, ece, logLoss, metricSet } from '../src/train/metrics.js';
import { createRng } from '../src/train/prng.js';

describe('metrics (hand-computed)', () => {
  it('log-loss: mean cross-entropy, soft labels, clipping', () => {
    expect(logLoss([1, 0], [0.8, 0.3])).toBeCloseTo((-Math.log(0.8) - Math.log(0.7)) / 2, 12);
    expect(logLoss([0.5], [0.5])).toBeCloseTo(Math.LN2, 12);
    // p = 0 for a positive is clipped to 1e-15, not Infinity.
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 2);
    expect(logLoss([], [])).toBeNaN();
  });

  it('Brier score', () => {
    expect(brier([1, 0, 0.5], [0.8, 0.3, 0.5])).toBeCloseTo((0.04 + 0.09) / 3, 12);
    expect(brier([], [])).toBeNaN();
  });

  it('AUC: rank-based, ties count 1/2, one class → NaN', () => {
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(auc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9])).toBeCloseTo(3.5 / 4, 12);
    expect(auc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(auc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(auc([], [])).toBeNaN();
    expect(auc([1, 0], [0.9, 0.1])).toBe(1);
    expect(auc([1, 0], [0.1, 0.9])).toBe(0);
  });

  it('AUC with soft labels: weighted pairs of distinct examples', () => {
    // Worked by hand in metrics.ts terms: numerator 2, denominator 2.
    expect(auc([0.5, 1, 0], [0.5, 0.9, 0.1])).toBeCloseTo(1, 12);
    // A lone meh example has no distinct pair: undefined.
    expect(auc([0.5], [0.3])).toBeNaN();
    // Brute force on random soft labels with ties.
    const r = createRng(3);
    const n = 60;
    const y = Array.from({ length: n }, () => [0, 0.5, 1, 1 / 3][Math.floor(r() * 4)]);
    const p = Array.from({ length: n }, () => Math.round(r() * 10) / 10);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const w = y[i] * (1 - y[j]);
        den += w;
        num += w * (p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0);
      }
    expect(auc(y, p)).toBeCloseTo(num / den, 12);
  });

  it('ECE over 10 equal-width bins', () => {
    expect(ece([0, 1, 1, 0], [0.05, 0.95, 0.85, 0.15])).toBeCloseTo(0.1, 12);
    // Same bin: |mean y − mean p| weighted by the bin's share.
    expect(ece([1, 0], [0.52, 0.58])).toBeCloseTo(Math.abs(0.5 - 0.55), 12);
    // p = 1 lands in the last bin; perfect calibration → 0.
    expect(ece([1, 0], [1, 0])).toBe(0);
    expect(ece([], [])).toBeNaN();
  });

  it('metricSet bundles all four', () => {
    const m = metricSet([1, 0], [0.8, 0.3]);
    expect(Object.keys(m).sort()).toEqual(['auc', 'brier', 'ece', 'log_loss']);
    expect(m.auc).toBe(1);
  });
});
