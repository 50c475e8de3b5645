import { describe, expect, it } from 'vitest';
import { beatFMeasure, countMatches, DEFAULT_F_WINDOW_S } from '../src/analysis/metrics.js';

describe('beat F-measure (hand-computed)', () => {
  it('uses the standard ±70 ms window', () => {
    expect(DEFAULT_F_WINDOW_S).toBe(0.07);
  });

  it('perfect estimate: P = R = F = 1', () => {
    expect(beatFMeasure([1, 2, 3], [1, 2, 3])).toEqual({ precision: 1, recall: 1, f: 1, hits: 3 });
  });

  it('within the window counts, outside does not (window edge inclusive)', () => {
    // 1.07 is exactly at the edge (hit); 2.08 is 80 ms off (miss); 3.0 exact (hit).
    const r = beatFMeasure([1, 2, 3], [1.07, 2.08, 3]);
    expect(r.hits).toBe(2);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f).toBeCloseTo(2 / 3, 12);
  });

  it('extra estimates lower precision only: 4 refs, 8 estimates (double tempo) -> P 0.5, R 1, F 2/3', () => {
    const ref = [1, 2, 3, 4];
    const est = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5];
    const r = beatFMeasure(ref, est);
    expect(r).toMatchObject({ hits: 4, precision: 0.5, recall: 1 });
    expect(r.f).toBeCloseTo((2 * 0.5 * 1) / 1.5, 12);
  });

  it('each reference is matched at most once', () => {
    // Two estimates near one reference: only one hit. P = 1/2, R = 1/1.
    const r = beatFMeasure([1], [0.98, 1.02]);
    expect(r.hits).toBe(1);
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(1);
    expect(r.f).toBeCloseTo(2 / 3, 12);
  });

  it('off-beat estimates (half a period off) score 0', () => {
    expect(beatFMeasure([1, 2, 3], [1.5, 2.5, 3.5]).f).toBe(0);
  });

  it('empty reference or estimate gives 0 (as mir_eval)', () => {
    expect(beatFMeasure([], [1]).f).toBe(0);
    expect(beatFMeasure([1], []).f).toBe(0);
    expect(beatFMeasure([], []).f).toBe(0);
  });

  it('unsorted input is sorted first; a custom window applies', () => {
    expect(beatFMeasure([3, 1, 2], [2, 3, 1]).f).toBe(1);
    expect(beatFMeasure([1, 2], [1.1, 2.1], 0.05).f).toBe(0);
    expect(beatFMeasure([1, 2], [1.1, 2.1], 0.15).f).toBe(1);
  });

  it('countMatches: greedy sweep is the maximum matching on a line', () => {
    // Estimate 1.06 could match ref 1.0 or 1.12; the sweep pairs 1.0-1.06 and 1.12-1.15 (2 matches).
    expect(countMatches([1.0, 1.12], [1.06, 1.15], 0.07)).toBe(2);
    expect(countMatches([], [1], 0.07)).toBe(0);
  });
});
