import { describe, expect, it } from 'vitest';
import { beatFMeasure, continuity, countMatches, DEFAULT_F_WINDOW_S, tempoAccuracy, trimBeatTimes } from '../src/analysis/metrics.js';

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

describe('continuity (CMLt / AMLt) and tempo accuracy (hand-computed)', () => {
  const ref = [1, 2, 3, 4, 5, 6, 7, 8];

  it('a perfect estimate is 1 everywhere; an empty one 0', () => {
    expect(continuity(ref, ref)).toEqual({ cmlc: 1, cmlt: 1, amlc: 1, amlt: 1 });
    expect(continuity(ref, [])).toEqual({ cmlc: 0, cmlt: 0, amlc: 0, amlt: 0 });
  });

  it('off-beat and double-tempo estimates score 0 at the annotated level, 1 allowing other levels', () => {
    const off = ref.map((t) => t + 0.5);
    const c = continuity(ref, off);
    expect(c.cmlt).toBe(0);
    expect(c.amlt).toBeCloseTo(7 / 8, 12); // 8 beats against the 7 off-beat references: max(7, 8) = 8 in the denominator
    const dbl: number[] = [];
    for (let t = 1; t <= 8; t += 0.5) dbl.push(t);
    expect(continuity(ref, dbl).cmlt).toBe(0);
    expect(continuity(ref, dbl).amlt).toBe(1);
  });

  it('one beat 0.3 intervals off breaks the run: CMLc counts the longest run, CMLt all correct beats', () => {
    const est = [1, 2, 3, 4.3, 5, 6, 7, 8];
    const c = continuity(ref, est);
    // Beat 4.3 fails the phase test (0.3 > 0.175); beat 5 fails the period test (|1 - 0.7| = 0.3).
    expect(c.cmlt).toBeCloseTo(6 / 8, 12);
    expect(c.cmlc).toBeCloseTo(3 / 8, 12);
  });

  it('trimBeatTimes drops the first 5 s; tempo accuracy within 4 %, octave errors in acc2 only', () => {
    expect(trimBeatTimes([1, 4.99, 5, 7])).toEqual([5, 7]);
    expect(tempoAccuracy(120, 124.7)).toEqual({ acc1: true, acc2: true });
    expect(tempoAccuracy(120, 125)).toEqual({ acc1: false, acc2: false });
    expect(tempoAccuracy(120, 60)).toEqual({ acc1: false, acc2: true });
    expect(tempoAccuracy(120, 360)).toEqual({ acc1: false, acc2: true });
    expect(tempoAccuracy(120, 180)).toEqual({ acc1: false, acc2: false }); // 1.5x is not an octave error
    expect(tempoAccuracy(120, 0)).toEqual({ acc1: false, acc2: false });
  });
});
