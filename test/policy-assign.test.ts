import { describe, expect, it } from 'vitest';
import { chooseArm, WARMUP_LABELS } from '../src/policy/assign.js';

const none = { baseline: { labels: 0, good: 0 }, rl: { labels: 0, good: 0 } };
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('chooseArm', () => {
  it('baseline mode always picks baseline with probability 1', () => {
    expect(chooseArm({ mode: 'baseline', eps: 0.5, modelVersion: 'v1', evidence: none, rand: Math.random })).toMatchObject({ arm: 'baseline', probability: 1 });
  });

  it('rl mode needs a model', () => {
    expect(chooseArm({ mode: 'rl', eps: 0.1, modelVersion: null, evidence: none, rand: Math.random })).toMatchObject({ arm: 'baseline', reason: 'no model' });
    expect(chooseArm({ mode: 'rl', eps: 0.1, modelVersion: 'v1', evidence: none, rand: Math.random })).toMatchObject({ arm: 'rl', probability: 1 });
  });

  it('auto without a model is baseline, with a model splits 50/50 during warm-up', () => {
    expect(chooseArm({ mode: 'auto', eps: 0.1, modelVersion: null, evidence: none, rand: Math.random })).toMatchObject({ arm: 'baseline', reason: 'no model' });
    expect(chooseArm({ mode: 'auto', eps: 0.1, modelVersion: 'v', evidence: none, rand: seq(0.2) })).toMatchObject({ arm: 'baseline', probability: 0.5 });
    expect(chooseArm({ mode: 'auto', eps: 0.1, modelVersion: 'v', evidence: none, rand: seq(0.7) })).toMatchObject({ arm: 'rl', probability: 0.5 });
  });

  it('auto after warm-up is epsilon-greedy towards the better good rate', () => {
    const ev = { baseline: { labels: WARMUP_LABELS, good: 10 }, rl: { labels: WARMUP_LABELS, good: 20 } };
    // u = 0.5 >= eps: exploit the best arm (rl), drawn with probability 1 - eps/2.
    expect(chooseArm({ mode: 'auto', eps: 0.2, modelVersion: 'v', evidence: ev, rand: seq(0.5) })).toMatchObject({ arm: 'rl', probability: 0.9 });
    // u = 0.1 < eps, then 0.9 >= 0.5: explore into the other arm, probability eps/2.
    expect(chooseArm({ mode: 'auto', eps: 0.2, modelVersion: 'v', evidence: ev, rand: seq(0.1, 0.9) })).toMatchObject({ arm: 'baseline', probability: 0.1 });
  });

  it('empirical split matches the recorded probability', () => {
    const ev = { baseline: { labels: 100, good: 70 }, rl: { labels: 100, good: 40 } };
    let s = 1;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    let base = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) if (chooseArm({ mode: 'auto', eps: 0.1, modelVersion: 'v', evidence: ev, rand }).arm === 'baseline') base++;
    expect(base / n).toBeCloseTo(0.95, 2);
  });
});
