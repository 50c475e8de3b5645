import { describe, expect, it } from 'vitest';
import {
  applyFloor, coldStartPolicy, decide, drawAction, DWELL_BARS, dwellActionFeatures, dwellFeatures, epsilonGreedyProbabilities,
  FEATURE_NAMES_BY_KIND, jumpFeatures, squareCbProbabilities, validateBanditPolicy, type BanditPolicy,
} from '../src/bandit/index.js';
import { mulberry32 } from '../src/shared/prng.js';

const sum = (p: readonly number[]) => p.reduce((a, b) => a + b, 0);
/** Element-wise equality within `tol` (the probabilities are sums of floats). */
const close = (got: readonly number[], want: readonly number[], tol = 1e-12) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `index ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol));
};

describe('exploration with exact probabilities', () => {
  it('SquareCB matches the inverse-gap formula by hand', () => {
    // K = 3, γ = 10, ŷ = [0.5, 0.3, 0.1]: b = 0; P(1) = 1/(3 + 10·0.2) = 0.2, P(2) = 1/(3 + 10·0.4) = 1/7.
    const p = squareCbProbabilities([0.5, 0.3, 0.1], 10, 0);
    expect(p[1]).toBeCloseTo(0.2, 15);
    expect(p[2]).toBeCloseTo(1 / 7, 15);
    expect(p[0]).toBeCloseTo(1 - 0.2 - 1 / 7, 15);
    // γ = 0 is uniform; ties go to the first maximum.
    close(squareCbProbabilities([1, 2, 3], 0, 0), [1 / 3, 1 / 3, 1 / 3]);
    expect(squareCbProbabilities([2, 2], 100, 0)[0]).toBeCloseTo(0.5, 15);
  });

  it('ε-greedy and the floor', () => {
    close(epsilonGreedyProbabilities([0, 1, 0, 0], 0.2, 0), [0.05, 0.85, 0.05, 0.05]);
    // P' = (1 − K·f) P + f: K = 2, f = 0.1 → (0.8·1 + 0.1, 0.8·0 + 0.1).
    const f = applyFloor([1, 0], 0.1);
    expect(f[0]).toBeCloseTo(0.9, 15);
    expect(f[1]).toBeCloseTo(0.1, 15);
    close(applyFloor([1, 0, 0], 0.5), [1 / 3, 1 / 3, 1 / 3]); // K·f > 1: uniform
  });

  it('every probability is ≥ the floor and they sum to 1, on seeded random scores', () => {
    const rand = mulberry32(11);
    for (let t = 0; t < 2000; t++) {
      const k = 1 + Math.floor(rand() * 8);
      const scores = Array.from({ length: k }, () => rand() * 4 - 2);
      const gamma = rand() * 1000;
      const floor = rand() * 0.05;
      for (const p of [squareCbProbabilities(scores, gamma, floor), epsilonGreedyProbabilities(scores, rand(), floor)]) {
        expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
        for (const q of p) expect(q).toBeGreaterThanOrEqual(floor - 1e-15);
      }
    }
  });

  it('refuses bad input with RangeError naming it', () => {
    expect(() => squareCbProbabilities([], 1, 0)).toThrow(/scores must not be empty/);
    expect(() => squareCbProbabilities([NaN], 1, 0)).toThrow(/scores\[0\] must be finite/);
    expect(() => squareCbProbabilities([1], -1, 0)).toThrow(/gamma/);
    expect(() => applyFloor([1], 2)).toThrow(/floor/);
    expect(() => drawAction([0, 0], () => 0.5)).toThrow(/no action/);
  });

  it('the logged propensity is the probability the draw used, and the draws follow it', () => {
    const policy: BanditPolicy = { ...coldStartPolicy({ algorithm: 'squarecb', floor: 0.02, epsilon: 0.1 }) };
    const trained: BanditPolicy = { ...policy, kinds: { ...policy.kinds, jump: { ...policy.kinds.jump, weights: FEATURE_NAMES_BY_KIND.jump.map((n) => (n === 'similarity' ? 1 : 0)), gamma: 30 } } };
    const actions = [0.99, 0.95, 0.9].map((similarity) => jumpFeatures({ similarity, span: 8 }));
    const rand = mulberry32(5);
    const counts = [0, 0, 0];
    const n = 40_000;
    let probs: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = decide(trained, 'jump', actions, rand);
      expect(d.propensity).toBe(d.probabilities[d.index]);
      probs = d.probabilities;
      counts[d.index]!++;
    }
    // The empirical frequencies match the logged probabilities (3σ of a binomial at n = 40 000 is < 0.008).
    counts.forEach((c, i) => expect(Math.abs(c / n - probs[i]!)).toBeLessThan(0.008));
    expect(probs[0]).toBeGreaterThan(probs[2]!);
  });
});

describe('decision kinds and the policy file', () => {
  it('dwell actions are one-hot with a bias; jump features scale the logged values', () => {
    expect(DWELL_BARS).toEqual([0, 1, 2, 4, 8]);
    expect(dwellFeatures(0)).toEqual([1, 0, 0, 0, 0]);
    expect(dwellFeatures(3)).toEqual([1, 0, 0, 1, 0]);
    expect(dwellActionFeatures()).toHaveLength(5);
    expect(() => dwellFeatures(5)).toThrow(RangeError);
    const x = jumpFeatures({ similarity: 0.9, span: -64, same_section: true, loudness_delta_db: 3 });
    const at = (n: string) => x[FEATURE_NAMES_BY_KIND.jump.indexOf(n)];
    expect([at('bias'), at('similarity'), at('span'), at('span_backward'), at('same_section'), at('loudness_delta_db')].map((v) => Number(v!.toFixed(12)))).toEqual([1, -1, -1, 1, 1, 1]);
    expect(at('timbre_distance')).toBe(0); // missing counts as 0
  });

  it('the cold start is uniform for both kinds and validates', () => {
    const p = validateBanditPolicy(JSON.parse(JSON.stringify(coldStartPolicy({ algorithm: 'squarecb', floor: 0.01, epsilon: 0.1 }))));
    const d = decide(p, 'dwell', dwellActionFeatures(), () => 0.5);
    close(d.probabilities, [0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(d.index).toBe(2);
  });

  it('refuses a policy for other features, other dwell actions or bad numbers, naming the field', () => {
    const ok = coldStartPolicy({ algorithm: 'squarecb', floor: 0.01, epsilon: 0.1 });
    const bad = (patch: Record<string, unknown>) => () => validateBanditPolicy({ ...JSON.parse(JSON.stringify(ok)), ...patch });
    expect(bad({ format: 'other' })).toThrow(/format/);
    expect(bad({ dwell_bars: [1, 2, 4] })).toThrow(/dwell_bars/);
    expect(bad({ exploration: { algorithm: 'linucb', floor: 0, epsilon: 0 } })).toThrow(/algorithm/);
    expect(bad({ kinds: { ...ok.kinds, jump: { ...ok.kinds.jump, feature_names: ['bias'] } } })).toThrow(/kinds.jump.feature_names/);
    expect(bad({ kinds: { ...ok.kinds, dwell: { ...ok.kinds.dwell, weights: [1, 2, 3, 4, null] } } })).toThrow(/kinds.dwell.weights/);
    expect(bad({ data: { first_seq: -1, last_seq: 0, rewards: 0 } })).toThrow(/data/);
  });
});
