import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURE_WIDTH, featureVector, type JumpFeatureInput } from '../src/policy/features.js';
import type { ModelJson } from '../src/policy/model.js';
import { chooseCandidate, pGood, scoreCandidates } from '../src/policy/scoring.js';
import { createRng } from '../src/train/prng.js';

const sim = FEATURE_NAMES.indexOf('similarity');
// p(good) = σ(4 · (similarity − 0.5) / 0.5) = σ(8 · similarity − 4).
const model: Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'> = {
  mean: Array.from({ length: FEATURE_WIDTH }, (_, j) => (j === sim ? 0.5 : 0.2)),
  std: Array.from({ length: FEATURE_WIDTH }, (_, j) => (j === sim ? 0.5 : 2)),
  weights: Array.from({ length: FEATURE_WIDTH }, (_, j) => (j === sim ? 4 : 0)),
  bias: 0,
};
const cand = (similarity: number): JumpFeatureInput => ({ similarity, span: 8, same_section: true });
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const sum = (a: { probability: number }[]) => a.reduce((s, c) => s + c.probability, 0);

describe('pGood', () => {
  it('applies standardization and weights', () => {
    expect(pGood(model, cand(0.75))).toBeCloseTo(sig(2), 14);
    expect(pGood(model, cand(0.5))).toBeCloseTo(0.5, 14);
    // All weights: same as a manual dot product over the shared encoder.
    const m2 = { ...model, weights: model.weights.map((_, j) => (j % 3) - 1), bias: 0.3 };
    const x = featureVector(cand(0.2));
    let z = 0.3;
    for (let j = 0; j < FEATURE_WIDTH; j++) z += (m2.weights[j] * (x[j] - m2.mean[j])) / m2.std[j];
    expect(pGood(m2, cand(0.2))).toBeCloseTo(sig(z), 14);
  });
});

describe('scoreCandidates', () => {
  const cs = [0.9, 0.7, 0.6, 0.3, 0.1].map(cand);

  it('probabilities sum to 1; floor drops low p(good); softmax of log p / τ', () => {
    const s = scoreCandidates(model, cs, { floor: 0.5, temperature: 1, epsilon: 0 });
    expect(sum(s)).toBeCloseTo(1, 14);
    const p = [0.9, 0.7, 0.6].map((v) => sig(8 * v - 4));
    s.slice(0, 3).forEach((c, i) => {
      expect(c.p_good).toBeCloseTo(p[i], 14);
      expect(c.score).toBeCloseTo(Math.log(p[i]), 12);
      expect(c.probability).toBeCloseTo(p[i] / (p[0] + p[1] + p[2]), 12);
    });
    expect(s[3].probability).toBe(0);
    expect(s[4].score).toBe(-Infinity);
  });

  it('temperature 0.5 → ∝ p²; epsilon mixes uniformly over kept candidates', () => {
    const s = scoreCandidates(model, cs, { floor: 0.5, temperature: 0.5, epsilon: 0.3 });
    const p2 = [0.9, 0.7, 0.6].map((v) => sig(8 * v - 4) ** 2);
    const tot = p2[0] + p2[1] + p2[2];
    p2.forEach((q, i) => expect(s[i].probability).toBeCloseTo(0.7 * (q / tot) + 0.1, 12));
    expect(sum(s)).toBeCloseTo(1, 14);
  });

  it('all below the floor: keeps the single best', () => {
    const s = scoreCandidates(model, [0.1, 0.3, 0.2].map(cand), { floor: 0.99, epsilon: 0.5 });
    expect(s.map((c) => c.probability)).toEqual([0, 1, 0]);
  });

  it('temperature 0 is greedy with ties split; defaults sum to 1; empty → []', () => {
    const s = scoreCandidates(model, [0.8, 0.8, 0.5].map(cand), { temperature: 0, floor: 0 });
    expect(s.map((c) => c.probability)).toEqual([0.5, 0.5, 0]);
    expect(sum(scoreCandidates(model, cs))).toBeCloseTo(1, 14);
    expect(scoreCandidates(model, [])).toEqual([]);
    expect(() => scoreCandidates(model, cs, { epsilon: 2 })).toThrow(RangeError);
    expect(() => scoreCandidates(model, cs, { temperature: -1 })).toThrow(/temperature/);
  });

  it('extreme logits stay finite', () => {
    const big = { ...model, weights: model.weights.map((w) => w * 1e4) };
    const s = scoreCandidates(big, [0, 0.01].map(cand), { floor: 0.5 });
    expect(s.every((c) => Number.isFinite(c.score) || c.probability === 0)).toBe(true);
    expect(sum(s)).toBeCloseTo(1, 14);
    expect(s[1].probability).toBe(1);
  });
});

describe('chooseCandidate', () => {
  it('returns the propensity of the chosen candidate and samples by the probabilities', () => {
    const s = scoreCandidates(model, [0.9, 0.7, 0.6, 0.3].map(cand), { floor: 0.5, temperature: 1, epsilon: 0.1 });
    const rand = createRng(9);
    const hits = [0, 0, 0, 0];
    const N = 20000;
    for (let t = 0; t < N; t++) {
      const { index, propensity } = chooseCandidate(s, rand);
      expect(propensity).toBe(s[index].probability);
      hits[index]++;
    }
    expect(hits[3]).toBe(0);
    s.forEach((c, i) => expect(Math.abs(hits[i] / N - c.probability)).toBeLessThan(0.015));
  });

  it('is deterministic for a seeded generator; u ≈ 1 falls on the last eligible; none eligible throws', () => {
    const s = [{ probability: 0.5 }, { probability: 0.5 }, { probability: 0 }];
    expect(chooseCandidate(s, () => 0.2).index).toBe(0);
    expect(chooseCandidate(s, () => 0.7).index).toBe(1);
    expect(chooseCandidate([{ probability: 0.3 }, { probability: 0.69999 }, { probability: 0 }], () => 0.9999999).index).toBe(1);
    expect(() => chooseCandidate([{ probability: 0 }], () => 0.5)).toThrow(RangeError);
  });
});
