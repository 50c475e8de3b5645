import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  dmEstimate,
  drEstimate,
  evaluateLog,
  importanceWeights,
  ipsEstimate,
  snipsEstimate,
  weightDiagnostics,
  type LoggedDecision,
} from '../src/learn/ope.js';
import { HarmonizerError } from '../src/shared/errors.js';
import { normalQuantile, wilsonInterval } from '../src/shared/stats.js';
import { mulberry32 } from '../src/shared/prng.js';

// Three decisions, 2–3 actions, unequal weights.
//  d0: w = 0.8 / 0.5  = 1.6, r = 1, Σ π q = 0.8·0.6 + 0.2·0.4             = 0.56
//  d1: w = 0.25 / 0.5 = 0.5, r = 0, Σ π q = 0.5·0.5 + 0.25·0.2 + 0.25·0.1 = 0.325
//  d2: w = 0.6 / 0.75 = 0.8, r = 1, Σ π q = 0.4·0.3 + 0.6·0.9             = 0.66
const LOG3: LoggedDecision[] = [
  { logged: [0.5, 0.5], action: 0, reward: 1, target: [0.8, 0.2], q: [0.6, 0.4] },
  { logged: [0.2, 0.3, 0.5], action: 2, reward: 0, target: [0.5, 0.25, 0.25], q: [0.5, 0.2, 0.1] },
  { logged: [0.25, 0.75], action: 1, reward: 1, target: [0.4, 0.6], q: [0.3, 0.9] },
];

/** Expects fn to throw a HarmonizerError EVALUATION_REFUSED whose message matches `msg`. */
function expectRefused(fn: () => unknown, msg: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarmonizerError);
    expect((err as HarmonizerError).code).toBe('EVALUATION_REFUSED');
    expect((err as Error).message).toMatch(msg);
    return;
  }
  throw new Error('expected EVALUATION_REFUSED');
}

/**
 * A simulated log: K = 4 actions, true reward probabilities p(a) ~ U[0.1, 0.9] per context, a random logging
 * policy with every probability ≥ 0.05, Bernoulli rewards, and a target policy putting 0.55 on the truly best
 * action (0.15 on each other). `wrong` has the constant reward model q = 0.5, `right` has q = p.
 */
function simulate(n: number, seed: number): { wrong: LoggedDecision[]; right: LoggedDecision[]; truth: number } {
  const rand = mulberry32(seed);
  const K = 4;
  const wrong: LoggedDecision[] = [];
  const right: LoggedDecision[] = [];
  let truth = 0;
  for (let i = 0; i < n; i++) {
    const p = Array.from({ length: K }, () => 0.1 + 0.8 * rand());
    const u = Array.from({ length: K }, () => rand());
    const su = u.reduce((s, x) => s + x, 0);
    const logged = u.map((x) => 0.05 + (1 - 0.05 * K) * (x / su));
    let best = 0;
    for (let a = 1; a < K; a++) if (p[a] > p[best]) best = a;
    const target = p.map((_, a) => (a === best ? 0.55 : 0.15));
    const v = rand();
    let action = K - 1;
    let acc = 0;
    for (let a = 0; a < K; a++) {
      acc += logged[a];
      if (v < acc) {
        action = a;
        break;
      }
    }
    const reward = rand() < p[action] ? 1 : 0;
    for (let a = 0; a < K; a++) truth += target[a] * p[a];
    wrong.push({ logged, action, reward, target, q: [0.5, 0.5, 0.5, 0.5] });
    right.push({ logged, action, reward, target, q: p });
  }
  return { wrong, right, truth: truth / n };
}

describe('point estimates on hand-computed logs', () => {
  it('IPS, SNIPS, DM and DR on a 3-decision log', () => {
    expect([...importanceWeights(LOG3)].map((w) => +w.toFixed(12))).toEqual([1.6, 0.5, 0.8]);
    // IPS = (1.6·1 + 0.5·0 + 0.8·1) / 3 = 2.4 / 3 = 0.8
    expect(ipsEstimate(LOG3)).toBeCloseTo(0.8, 12);
    // SNIPS = 2.4 / (1.6 + 0.5 + 0.8) = 2.4 / 2.9
    expect(snipsEstimate(LOG3)).toBeCloseTo(2.4 / 2.9, 12);
    // DM = (0.56 + 0.325 + 0.66) / 3 = 1.545 / 3 = 0.515
    expect(dmEstimate(LOG3)).toBeCloseTo(0.515, 12);
    // DR = [(0.56 + 1.6·(1 − 0.6)) + (0.325 + 0.5·(0 − 0.1)) + (0.66 + 0.8·(1 − 0.9))] / 3
    //    = (1.2 + 0.275 + 0.74) / 3 = 2.215 / 3
    expect(drEstimate(LOG3)).toBeCloseTo(2.215 / 3, 12);
  });

  it('all weights equal (target = logged): IPS = SNIPS = observed mean, weights 1, ESS = n', () => {
    const log: LoggedDecision[] = [
      { logged: [0.3, 0.7], action: 1, reward: 1, target: [0.3, 0.7], q: [0.2, 0.4] },
      { logged: [0.5, 0.25, 0.25], action: 0, reward: 0, target: [0.5, 0.25, 0.25], q: [0.1, 0.2, 0.3] },
      { logged: [0.6, 0.4], action: 0, reward: 1, target: [0.6, 0.4], q: [0.5, 0.5] },
    ];
    expect([...importanceWeights(log)]).toEqual([1, 1, 1]);
    // Observed mean (1 + 0 + 1) / 3 = 2/3.
    expect(ipsEstimate(log)).toBeCloseTo(2 / 3, 12);
    expect(snipsEstimate(log)).toBeCloseTo(2 / 3, 12);
    // DR with w = 1: [(0.3·0.2 + 0.7·0.4) + (1 − 0.4)] + [(0.05 + 0.05 + 0.075) + (0 − 0.1)] + [0.5 + (1 − 0.5)]
    //   = (0.34 + 0.6) + (0.175 − 0.1) + (0.5 + 0.5) = 0.94 + 0.075 + 1 = 2.015, / 3
    expect(drEstimate(log)).toBeCloseTo(2.015 / 3, 12);
    const d = weightDiagnostics(log);
    // ESS = (1 + 1 + 1)² / (1 + 1 + 1) = 3
    expect(d).toEqual({ n: 3, ess: 3, max_weight: 1, mean_weight: 1, clipped_share: 0 });
  });

  it('ESS and max_weight on hand-computed weights', () => {
    const d = weightDiagnostics(LOG3);
    expect(d.n).toBe(3);
    // ESS = (1.6 + 0.5 + 0.8)² / (1.6² + 0.5² + 0.8²) = 2.9² / (2.56 + 0.25 + 0.64) = 8.41 / 3.45
    expect(d.ess).toBeCloseTo(8.41 / 3.45, 12);
    expect(d.max_weight).toBeCloseTo(1.6, 12);
    // mean = 2.9 / 3
    expect(d.mean_weight).toBeCloseTo(2.9 / 3, 12);
    expect(d.clipped_share).toBe(0);
  });

  it('clipping: a weight above clip is clipped, counted, and IPS uses the clipped weight', () => {
    // clip = 1: weights [min(1, 1.6), 0.5, 0.8] = [1, 0.5, 0.8]
    expect([...importanceWeights(LOG3, 1)].map((w) => +w.toFixed(12))).toEqual([1, 0.5, 0.8]);
    // IPS = (1·1 + 0.5·0 + 0.8·1) / 3 = 1.8 / 3 = 0.6
    expect(ipsEstimate(LOG3, 1)).toBeCloseTo(0.6, 12);
    // SNIPS = 1.8 / (1 + 0.5 + 0.8) = 1.8 / 2.3
    expect(snipsEstimate(LOG3, 1)).toBeCloseTo(1.8 / 2.3, 12);
    // DR = [(0.56 + 1·0.4) + 0.275 + 0.74] / 3 = 1.975 / 3
    expect(drEstimate(LOG3, 1)).toBeCloseTo(1.975 / 3, 12);
    const d = weightDiagnostics(LOG3, 1);
    expect(d.clipped_share).toBeCloseTo(1 / 3, 12); // one of three
    expect(d.max_weight).toBeCloseTo(1.6, 12); // before clipping
    expect(d.mean_weight).toBeCloseTo(2.3 / 3, 12); // after clipping
    // ESS = 2.3² / (1 + 0.25 + 0.64) = 5.29 / 1.89
    expect(d.ess).toBeCloseTo(5.29 / 1.89, 12);
    // A weight exactly at the clip is not counted as clipped.
    expect(weightDiagnostics(LOG3, 1.6).clipped_share).toBe(0);
  });

  it('one decision (n = 1): estimates defined; the bootstrap is degenerate, so the weighted estimators get the Wilson interval at ESS 1', () => {
    // w = 0.5 / 0.25 = 2; IPS = 2·1 = 2; SNIPS = 2 / 2 = 1; DM = 0.5·0.4 + 0.5·0.6 = 0.5; DR = 0.5 + 2·(1 − 0.4) = 1.7
    const one: LoggedDecision[] = [{ logged: [0.25, 0.75], action: 0, reward: 1, target: [0.5, 0.5], q: [0.4, 0.6] }];
    const { estimates, diagnostics } = evaluateLog(one, { resamples: 100 });
    const byName = Object.fromEntries(estimates.map((e) => [e.estimator, e]));
    const expected = { ips: 2, snips: 1, dm: 0.5, dr: 1.7 };
    expect(Object.keys(byName)).toEqual(['ips', 'snips', 'dm', 'dr']);
    for (const [name, v] of Object.entries(expected)) {
      const e = byName[name];
      expect(e.estimate).toBeCloseTo(v, 12);
      expect(e.n).toBe(1);
      if (name === 'dm') {
        expect([e.ci_low, e.ci_high]).toEqual([e.estimate, e.estimate]);
        continue;
      }
      // One decision cannot make an estimate certain: the Wilson interval of min(V̂, 1) at n = 1, joined
      // with the (degenerate) bootstrap interval at V̂.
      const [wl, wh] = wilsonInterval(Math.min(1, v), 1, normalQuantile(0.975));
      expect(e.ci_low).toBeCloseTo(Math.min(wl, v), 12);
      expect(e.ci_high).toBeCloseTo(Math.max(wh, v), 12);
      expect(e.ci_high - e.ci_low).toBeGreaterThan(0.5);
    }
    // ESS = 2² / 2² = 1
    expect(diagnostics).toEqual({ n: 1, ess: 1, max_weight: 2, mean_weight: 2, clipped_share: 0 });
  });

  it('SNIPS is 0 when Σ w = 0; point functions reject an empty log', () => {
    // The target never takes action 0, the only one taken: w = 0 / 0.5 = 0.
    const zero: LoggedDecision[] = [{ logged: [0.5, 0.5], action: 0, reward: 1, target: [0, 1] }];
    expect(snipsEstimate(zero)).toBe(0);
    expect(ipsEstimate(zero)).toBe(0);
    expect(weightDiagnostics(zero).ess).toBe(0);
    expect(importanceWeights([])).toHaveLength(0);
    expect(() => ipsEstimate([])).toThrow(RangeError);
    expect(() => weightDiagnostics([])).toThrow(RangeError);
    expect(() => ipsEstimate(LOG3, 0)).toThrow(/clip/);
  });
});

describe('bootstrapInterval', () => {
  // Two decisions with IPS terms w r = 0 and 1: a resample's estimate is 0, 0.5 or 1 with probabilities
  // 1/4, 1/2, 1/4.
  const TWO: LoggedDecision[] = [
    { logged: [0.5, 0.5], action: 0, reward: 0, target: [0.5, 0.5] },
    { logged: [0.5, 0.5], action: 1, reward: 1, target: [0.5, 0.5] },
  ];

  it('percentile interval on a hand-computed replicate distribution', () => {
    // 95 %: the 2.5 % and 97.5 % quantiles fall inside the 25 % masses at 0 and at 1.
    expect(bootstrapInterval(TWO, 'ips')).toEqual({ low: 0, high: 1 });
    // 40 %: the 30 % and 70 % quantiles both fall in the 50 % mass at 0.5.
    expect(bootstrapInterval(TWO, 'ips', { level: 0.4 })).toEqual({ low: 0.5, high: 0.5 });
  });

  it('a SNIPS resample with Σ w = 0 counts as 0', () => {
    // d0: w = 0 / 0.5 = 0; d1: w = 1 / 0.5 = 2, r = 1. SNIPS = 2 / 2 = 1. A resample {d0, d0} (probability 1/4)
    // has Σ w = 0 and counts as 0, the others give 1: the 95 % interval is [0, 1], not NaN.
    const log: LoggedDecision[] = [
      { logged: [0.5, 0.5], action: 0, reward: 1, target: [0, 1] },
      { logged: [0.5, 0.5], action: 1, reward: 1, target: [0, 1] },
    ];
    expect(snipsEstimate(log)).toBe(1);
    expect(bootstrapInterval(log, 'snips')).toEqual({ low: 0, high: 1 });
  });

  it('is deterministic for a seed and contains the estimate on a moderate log', () => {
    const { wrong } = simulate(300, 11);
    const a = bootstrapInterval(wrong, 'dr', { seed: 7, resamples: 500 });
    expect(bootstrapInterval(wrong, 'dr', { seed: 7, resamples: 500 })).toEqual(a);
    expect(bootstrapInterval(wrong, 'dr', { seed: 8, resamples: 500 })).not.toEqual(a);
    const { estimates } = evaluateLog(wrong, { resamples: 500 });
    expect(estimates).toHaveLength(4);
    for (const e of estimates) {
      // DM with the constant model q = 0.5 is exactly 0.5 in every resample: a degenerate interval.
      if (e.estimator === 'dm') expect([e.estimate, e.ci_low, e.ci_high]).toEqual([0.5, 0.5, 0.5]);
      else expect(e.ci_low).toBeLessThan(e.ci_high);
      expect(e.ci_low).toBeLessThanOrEqual(e.estimate);
      expect(e.estimate).toBeLessThanOrEqual(e.ci_high);
    }
  });

  it('checks its options, naming them', () => {
    expect(() => bootstrapInterval(LOG3, 'ips', { resamples: 99 })).toThrow(/options\.resamples/);
    expect(() => bootstrapInterval(LOG3, 'ips', { level: 1 })).toThrow(/options\.level/);
    expect(() => bootstrapInterval(LOG3, 'ips', { clip: -1 })).toThrow(/options\.clip/);
    expect(() => bootstrapInterval(LOG3, 'ips', { seed: NaN })).toThrow(/options\.seed/);
    expect(() => bootstrapInterval(LOG3, 'ipw' as never)).toThrow(/estimator/);
    expect(() => bootstrapInterval(LOG3, 'ips', { resample: 500 } as never)).toThrow(TypeError);
    expect(() => bootstrapInterval([], 'ips')).toThrow(RangeError);
  });
});

describe('evaluateLog refusals and input checks', () => {
  const ok = (over: Partial<LoggedDecision>): LoggedDecision[] => [
    LOG3[0],
    { logged: [0.5, 0.5], action: 0, reward: 1, target: [0.3, 0.7], q: [0.5, 0.5], ...over },
  ];

  it('refuses an empty log', () => {
    expectRefused(() => evaluateLog([]), /empty/);
  });

  it('refuses a deterministic logging policy evaluating another policy, counting the decisions', () => {
    const det: LoggedDecision[] = [
      { logged: [1, 0], action: 0, reward: 1, target: [0.5, 0.5] },
      { logged: [0, 1], action: 1, reward: 0, target: [0.5, 0.5] },
      { logged: [0.5, 0.5], action: 0, reward: 1, target: [0.5, 0.5] },
    ];
    expectRefused(() => evaluateLog(det), /support.*2 of 3 decisions/);
    // Deterministic logging evaluating the same deterministic policy has support (weights 1).
    const same: LoggedDecision[] = [{ logged: [1, 0], action: 0, reward: 1, target: [1, 0] }];
    expect(evaluateLog(same, { resamples: 100 }).estimates.map((e) => e.estimate)).toEqual([1, 1]);
  });

  it('throws RangeError naming the field and decision index for malformed input', () => {
    // Zero propensity for the taken action.
    expect(() => evaluateLog(ok({ logged: [0, 1] }))).toThrow(/log\[1\]\.logged\[0\].*zero propensity/);
    expect(() => evaluateLog(ok({ logged: [0, 1] }))).toThrow(RangeError);
    // Probabilities not summing to 1.
    expect(() => evaluateLog(ok({ logged: [0.5, 0.4] }))).toThrow(/log\[1\]\.logged must sum to 1/);
    expect(() => evaluateLog(ok({ target: [0.5, 0.6] }))).toThrow(/log\[1\]\.target must sum to 1/);
    // Out of [0, 1].
    expect(() => evaluateLog(ok({ target: [1.5, -0.5] }))).toThrow(/log\[1\]\.target\[0\] must be a probability/);
    // Lengths differ.
    expect(() => evaluateLog(ok({ target: [0.5, 0.25, 0.25] }))).toThrow(/log\[1\]\.target has length 3/);
    expect(() => evaluateLog(ok({ q: [0.5] }))).toThrow(/log\[1\]\.q/);
    // Action out of range, non-finite reward.
    expect(() => evaluateLog(ok({ action: 2 }))).toThrow(/log\[1\]\.action/);
    expect(() => evaluateLog(ok({ action: 0.5 }))).toThrow(/log\[1\]\.action/);
    expect(() => evaluateLog(ok({ reward: NaN }))).toThrow(/log\[1\]\.reward/);
    for (const over of [{ logged: [0, 1] }, { action: 2 }, { reward: Infinity }]) {
      expect(() => evaluateLog(ok(over))).toThrow(RangeError);
    }
  });

  it('q: required by dm / dr, defaults to ips and snips without it', () => {
    const noQ: LoggedDecision[] = [LOG3[0], { logged: [0.5, 0.5], action: 0, reward: 1, target: [0.3, 0.7] }];
    expect(() => evaluateLog(noQ, { estimators: ['dr'] })).toThrow(/log\[1\]\.q is missing.*'dr'/);
    expect(() => evaluateLog(noQ, { estimators: ['dr'] })).toThrow(RangeError);
    expect(() => drEstimate(noQ)).toThrow(RangeError);
    expect(() => dmEstimate(noQ)).toThrow(/log\[1\]\.q/);
    const r = evaluateLog(noQ, { resamples: 100 });
    expect(r.estimates.map((e) => e.estimator)).toEqual(['ips', 'snips']);
    // IPS = (1.6·1 + 0.6·1) / 2 = 1.1 (w1 = 0.3 / 0.5 = 0.6)
    expect(r.estimates[0].estimate).toBeCloseTo(1.1, 12);
  });

  it('returns requested estimators in order, diagnostics at the clip, and checks options', () => {
    const r = evaluateLog(LOG3, { estimators: ['dr', 'ips'], clip: 1, resamples: 200 });
    expect(r.estimates.map((e) => e.estimator)).toEqual(['dr', 'ips']);
    expect(r.estimates[0].estimate).toBeCloseTo(1.975 / 3, 12);
    expect(r.estimates[1].estimate).toBeCloseTo(0.6, 12);
    expect(r.diagnostics.clipped_share).toBeCloseTo(1 / 3, 12);
    expect(() => evaluateLog(LOG3, { estimators: [] })).toThrow(/options\.estimators/);
    expect(() => evaluateLog(LOG3, { estimators: ['ipw' as never] })).toThrow(/options\.estimators\[0\]/);
    expect(() => evaluateLog(LOG3, { clipp: 3 } as never)).toThrow(/unknown option clipp/);
  });
});

describe('on a simulated log with a known true value', () => {
  it('IPS, SNIPS and DR (wrong and right reward model) are within 0.02 of the truth', () => {
    const { wrong, right, truth } = simulate(20_000, 1);
    const w = evaluateLog(wrong, { resamples: 500, estimators: ['ips', 'snips', 'dr', 'dm'] });
    const [ips, snips, drWrong, dmWrong] = w.estimates;
    const [drRight] = evaluateLog(right, { resamples: 500, estimators: ['dr'] }).estimates;
    for (const e of [ips, snips, drWrong, drRight]) expect(Math.abs(e.estimate - truth)).toBeLessThan(0.02);
    // The constant model alone is badly biased (≈ 0.5 against a truth near 0.6); DR corrects it.
    expect(Math.abs(dmWrong.estimate - truth)).toBeGreaterThan(0.05);
    // Support is right, nothing clipped: mean weight ≈ 1.
    expect(Math.abs(w.diagnostics.mean_weight - 1)).toBeLessThan(0.03);
    expect(w.diagnostics.clipped_share).toBe(0);
    // A right reward model removes most of the weights' variance.
    expect(drRight.ci_high - drRight.ci_low).toBeLessThan(ips.ci_high - ips.ci_low);
  });

  it('the 95 % DR interval covers the true value in at least 34 of 40 seeds', () => {
    let covered = 0;
    for (let s = 1; s <= 40; s++) {
      const { wrong, truth } = simulate(2000, 1000 + s);
      const ci = bootstrapInterval(wrong, 'dr', { resamples: 500, seed: s });
      if (ci.low <= truth && truth <= ci.high) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(34);
  });
});

describe('cluster bootstrap', () => {
  /** n decisions with seeded Bernoulli rewards under uniform logging and target over 2 actions. */
  const log = (n: number, seed: number): LoggedDecision[] => {
    const rand = mulberry32(seed);
    return Array.from({ length: n }, () => {
      const action = rand() < 0.5 ? 0 : 1;
      return { logged: [0.5, 0.5], action, reward: rand() < 0.4 ? 1 : 0, target: [0.5, 0.5] };
    });
  };

  it('one decision per cluster is the ordinary bootstrap', () => {
    const plain = log(500, 1);
    const named = plain.map((d, i) => ({ ...d, cluster: `c${i}` }));
    expect(bootstrapInterval(named, 'ips', { seed: 4 })).toEqual(bootstrapInterval(plain, 'ips', { seed: 4 }));
  });

  it('duplicated decisions drawn together give the honest, wider interval', () => {
    // Every decision twice (perfectly correlated pairs): 1000 rows but only 500 independent draws.
    const base = log(500, 2);
    const twice = base.flatMap((d, i) => [{ ...d, cluster: `e${i}` }, { ...d, cluster: `e${i}` }]);
    const naive = bootstrapInterval(twice.map(({ cluster: _c, ...d }) => d), 'ips', { seed: 5 });
    const clustered = bootstrapInterval(twice, 'ips', { seed: 5 });
    const single = bootstrapInterval(base, 'ips', { seed: 5 });
    const width = (x: { low: number; high: number }) => x.high - x.low;
    // The naive interval shrinks by about √2; the cluster bootstrap matches the 500 independent decisions.
    expect(width(naive) / width(single)).toBeLessThan(0.8);
    expect(Math.abs(width(clustered) / width(single) - 1)).toBeLessThan(0.15);
    const r = evaluateLog(twice, { estimators: ['ips', 'snips'], seed: 5 });
    expect(r.estimates[0]!.ci_high - r.estimates[0]!.ci_low).toBeCloseTo(width(clustered), 12);
  });
});

describe('small samples: few effective decisions with rare rewards', () => {
  /**
   * n decisions logged by a policy that plays action 0 only at the floor 0.01 (of 5 actions); the target
   * always plays 0, whose true reward rate is 0.02. About 30 decisions carry the target's weight and
   * most of the time none or one of them is a success: every resample looks alike.
   */
  const rare = (n: number, seed: number): LoggedDecision[] => {
    const rand = mulberry32(seed);
    const logged = [0.01, 0.66, 0.11, 0.11, 0.11];
    return Array.from({ length: n }, () => {
      const u = rand();
      let action = 0;
      for (let acc = logged[0]!; u >= acc && action < 4; ) acc += logged[++action]!;
      const p = action === 0 ? 0.02 : 0.3;
      return { logged, action, reward: rand() < p ? 1 : 0, target: [1, 0, 0, 0, 0], q: [0.01, 0.3, 0.3, 0.3, 0.3] };
    });
  };

  it('the reported intervals cover the truth where the plain bootstrap does not', () => {
    let plain = 0;
    let reported = 0;
    const seeds = 40;
    for (let s = 1; s <= seeds; s++) {
      const log = rare(3000, 500 + s);
      const b = bootstrapInterval(log, 'dr', { resamples: 300, seed: s });
      if (b.low <= 0.02 && 0.02 <= b.high) plain++;
      const [dr] = evaluateLog(log, { resamples: 300, seed: s, estimators: ['dr'] }).estimates;
      if (dr!.ci_low <= 0.02 && 0.02 <= dr!.ci_high) reported++;
      // Never narrower than the bootstrap.
      expect(dr!.ci_low).toBeLessThanOrEqual(b.low);
      expect(dr!.ci_high).toBeGreaterThanOrEqual(b.high);
    }
    expect(plain).toBeLessThan(0.9 * seeds);
    expect(reported).toBeGreaterThanOrEqual(0.9 * seeds);
  });

  it('with enough expected successes the interval is the bootstrap one', () => {
    const rand = mulberry32(3);
    const log: LoggedDecision[] = Array.from({ length: 2000 }, () => {
      const action = rand() < 0.5 ? 0 : 1;
      return { logged: [0.5, 0.5], action, reward: rand() < 0.4 ? 1 : 0, target: [0.5, 0.5] };
    });
    const b = bootstrapInterval(log, 'ips', { seed: 2 });
    const [ips] = evaluateLog(log, { seed: 2, estimators: ['ips'] }).estimates;
    expect([ips!.ci_low, ips!.ci_high]).toEqual([b.low, b.high]);
  });

  it('normalQuantile matches the standard normal', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 8);
    expect(normalQuantile(0.9999)).toBeCloseTo(3.719016485, 7);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});
