import { describe, expect, it } from 'vitest';
import { chiSquare1PValue, erfc, sampleRatioMismatch, wilsonInterval } from '../src/telemetry/stats.js';

describe('telemetry statistics', () => {
  it('erfc matches reference values', () => {
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207, 6);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 6);
    expect(erfc(3)).toBeCloseTo(2.20904970e-5, 9);
  });

  it('chi-square(1) p-values match tables', () => {
    expect(chiSquare1PValue(3.841458821)).toBeCloseTo(0.05, 5);
    expect(chiSquare1PValue(6.634896601)).toBeCloseTo(0.01, 5);
    expect(chiSquare1PValue(0)).toBe(1);
  });

  it('sample ratio mismatch: balanced is fine, skewed is flagged, deterministic is n/a', () => {
    expect(sampleRatioMismatch([500, 500], [500, 500])!.p_value).toBeCloseTo(1, 6);
    const skew = sampleRatioMismatch([600, 400], [500, 500])!;
    expect(skew.chi_square).toBeCloseTo(40, 9);
    expect(skew.p_value).toBeLessThan(1e-6);
    expect(sampleRatioMismatch([10, 0], [10, 0])).toBeNull();
  });

  it('Wilson interval matches hand-computed values and edge cases', () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    const [lo0] = wilsonInterval(0, 20);
    expect(lo0).toBe(0);
    const [, hiN] = wilsonInterval(20, 20);
    expect(hiN).toBe(1);
  });
});
