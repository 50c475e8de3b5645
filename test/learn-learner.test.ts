import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ridge } from '../src/learn/ridge.js';
import { BanditLearner, type LearnerEntry } from '../src/learn/learner.js';
import { LearnerLoop } from '../src/learn/loop.js';
import { validateBanditPolicy, FEATURE_WIDTH_BY_KIND, actionProbabilities, dwellFeatures, jumpFeatures } from '../src/bandit/index.js';
import { mulberry32 } from '../src/shared/prng.js';
import { Store, sqliteApi, type StoreApi } from '../src/store/index.js';
import { tempDir } from './support/env.js';
import { learnerEvents, learnerLabel } from './support/learner-events.js';

const exploration = { algorithm: 'squarecb' as const, floor: 0.01, epsilon: 0.1 };

describe('ridge regression (sufficient statistics)', () => {
  it('matches hand-computed solutions', () => {
    // d = 1, λ = 1, x = 1, r = 1, 0, 1: A = 1 + 3 = 4, b = 2, w = 0.5.
    const r = new Ridge(1, 1);
    for (const y of [1, 0, 1]) r.add([1], y);
    expect(r.solve()[0]).toBeCloseTo(0.5, 15);
    // d = 2, λ = 1, x = (1, 0) r = 1 and x = (1, 1) r = 3: A = [[3, 1], [1, 2]], b = (4, 3),
    // w = A⁻¹ b = (1/5)·[[2, −1], [−1, 3]]·(4, 3) = (1, 1).
    const q = new Ridge(2, 1);
    q.add([1, 0], 1);
    q.add([1, 1], 3);
    const w = q.solve();
    expect(w[0]).toBeCloseTo(1, 12);
    expect(w[1]).toBeCloseTo(1, 12);
    // Weights scale the observation: w = 2 counts as the observation twice.
    const a = new Ridge(1, 1);
    a.add([1], 1, 2);
    expect(a.solve()[0]).toBeCloseTo(2 / 3, 15);
  });

  it('removing an observation is the fit without it; a weight of 0 changes nothing', () => {
    const rand = mulberry32(3);
    const xs = Array.from({ length: 50 }, () => [1, rand(), rand() - 0.5]);
    const ys = xs.map((x) => 0.2 + 0.5 * x[1]! - x[2]! + 0.1 * rand());
    const all = new Ridge(3, 1);
    const without = new Ridge(3, 1);
    xs.forEach((x, i) => {
      all.add(x, ys[i]!);
      if (i !== 7) without.add(x, ys[i]!);
    });
    all.remove(xs[7]!, ys[7]!);
    all.solve().forEach((v, j) => expect(v).toBeCloseTo(without.solve()[j]!, 12));
    expect(all.count).toBe(49);
    const z = new Ridge(3, 1);
    z.add(xs[0]!, 5, 0);
    expect(z.solve()).toEqual([0, 0, 0]);
  });

  it('refuses malformed observations', () => {
    const r = new Ridge(2, 1);
    expect(() => r.add([1], 1)).toThrow(/x must have 2 entries/);
    expect(() => r.add([1, 1], NaN)).toThrow(/finite/);
    expect(() => new Ridge(2, 0)).toThrow(/lambda/);
  });
});

describe('the online learner', () => {
  const entries = (seed: number, n: number): LearnerEntry[] => {
    const rand = mulberry32(seed);
    return Array.from({ length: n }, (_, i) => {
      const idx = Math.floor(rand() * 5);
      const p = [0.3, 0.5, 0.6, 0.9, 0.4][idx]!;
      return { seq: i + 1, kind: 'dwell' as const, x: dwellFeatures(idx), reward: rand() < p ? 1 : 0, weight: 1, prev_reward: null, prev_weight: null };
    });
  };

  it('is deterministic: the same log gives the same weights and version; another order another version', () => {
    const a = new BanditLearner({ exploration, gammaScale: 1 });
    const b = new BanditLearner({ exploration, gammaScale: 1 });
    const log = entries(1, 3000);
    for (const e of log) a.apply(e);
    for (const e of log) b.apply(e);
    const pa = a.snapshot('2026-12-01T00:00:00.000Z');
    expect(b.snapshot('2026-12-02T00:00:00.000Z').version).toBe(pa.version); // created_at is not part of the version
    expect(pa.version).toMatch(/^b3000-[0-9a-f]{8}$/);
    expect(pa.kinds.dwell.n).toBe(3000);
    expect(pa.kinds.dwell.gamma).toBeCloseTo(Math.sqrt(3000), 9);
    validateBanditPolicy(JSON.parse(JSON.stringify(pa)));
    const c = new BanditLearner({ exploration, gammaScale: 1 });
    for (const e of entries(2, 3000)) c.apply(e);
    expect(c.snapshot('').version).not.toBe(pa.version);
    expect(() => c.apply({ ...log[0]!, seq: 1 })).toThrow(/out of order/);
  });

  it('learns the best dwell from rewards: predictions approach the true means', () => {
    const l = new BanditLearner({ exploration, gammaScale: 1 });
    for (const e of entries(2, 20_000)) l.apply(e);
    const w = l.snapshot('').kinds.dwell.weights;
    const pred = [0, 1, 2, 3, 4].map((i) => dwellFeatures(i).reduce((s, x, j) => s + x * w[j]!, 0));
    [0.3, 0.5, 0.6, 0.9, 0.4].forEach((p, i) => expect(Math.abs(pred[i]! - p)).toBeLessThan(0.03));
  });

  it('a replaced reward (a label after the implicit one) counts once, with its new value', () => {
    const l = new BanditLearner({ exploration, gammaScale: 1 });
    const x = dwellFeatures(1);
    l.apply({ seq: 1, kind: 'dwell', x, reward: 1, weight: 1, prev_reward: null, prev_weight: null });
    l.apply({ seq: 2, kind: 'dwell', x, reward: 0, weight: 2, prev_reward: 1, prev_weight: 1 });
    const ref = new BanditLearner({ exploration, gammaScale: 1 });
    ref.apply({ seq: 1, kind: 'dwell', x, reward: 0, weight: 2, prev_reward: null, prev_weight: null });
    expect(l.snapshot('').kinds.dwell.weights).toEqual(ref.snapshot('').kinds.dwell.weights);
    expect(l.counts().dwell).toBe(1);
  });
});

describe('the learner loop on a real store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  /** The loop runs on the store's interface; the tests seed and read through the synchronous store. */
  let api: StoreApi;
  beforeEach(() => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    api = sqliteApi(store, 'test');
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  /** Sessions of uniformly logged jumps where candidate 1 is clearly better than the baseline's nearest (labels say so). */
  function seed(n: number): void {
    const rand = mulberry32(9);
    const events = learnerEvents(rand, 0, n);
    store.events.insertMany(events);
    for (const e of events) store.labels.upsert({ event_id: e.event_id, labeler: 'l', label: learnerLabel(e, rand), time_spent_ms: null, now: 1 });
  }

  const options = (policyPath: string, publishEvery = 250, minDecisions = 20) => ({
    policyPath, rules: { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 1, implicitWeight: 1 }, exploration, gammaScale: 1, publishEvery, minDecisions, now: () => 1_800_000_000_000,
  });

  it('publishes at the boundaries, promotes through the gate, writes policy.json; a replay gives the same versions', async () => {
    seed(1200);
    const path = join(tmp.dir, 'policy.json');
    const loop = new LearnerLoop(api, options(path));
    while (await loop.pass());
    const rows = store.bandit.policies();
    const entries = store.bandit.lastSeq();
    expect(entries).toBeGreaterThan(1200); // implicit rewards, then the labels that replace them
    expect(rows.map((r) => r.last_seq).sort((a, b) => a - b)).toEqual(Array.from({ length: Math.floor(entries / 250) }, (_, i) => 250 * (i + 1)));
    const active = store.bandit.activePolicy();
    expect(active).toBeDefined();
    expect(active!.reason).toMatch(/^promoted: DR lower bound \S+ ≥ (baseline|active \S+) DR/);
    const file = validateBanditPolicy(JSON.parse(readFileSync(path, 'utf8')));
    expect(file.version).toBe(active!.version);
    // The learned policy prefers the better candidate (the farther one, not the baseline's nearest).
    const { probabilities } = actionProbabilities(file, 'jump', [jumpFeatures({ similarity: 0.99, span: 9 }), jumpFeatures({ similarity: 0.85, span: 19 })]);
    expect(probabilities[1]).toBeGreaterThan(0.9);
    expect(await loop.status()).toMatchObject({ applied: entries, active: active!.version });

    // Replay: the same log through a fresh learner yields the very same versions.
    const versions = rows.map((r) => r.version).sort();
    store.transaction(() => store.bandit.reset({ rewards: false }));
    const again = new LearnerLoop(api, { ...options(join(tmp.dir, 'again.json')), gate: false });
    while (await again.pass());
    expect(store.bandit.policies().map((r) => r.version).sort()).toEqual(versions);
  });

  it('too few decisions: nothing promoted, and the reason says why', async () => {
    seed(12);
    const path = join(tmp.dir, 'policy.json');
    const loop = new LearnerLoop(api, options(path, 10));
    while (await loop.pass());
    expect(store.bandit.activePolicy()).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect(store.bandit.policies()[0]!.reason).toMatch(/not promoted: too few decisions with a reward: \d+ < 20/);
    expect(FEATURE_WIDTH_BY_KIND.jump).toBe(12);
  });

  it('RL_BANDIT_MIN_DECISIONS holds promotion back until the window holds that many decisions', async () => {
    seed(1200);
    const loop = new LearnerLoop(api, options(join(tmp.dir, 'policy.json'), 250, 1150));
    while (await loop.pass());
    const rows = store.bandit.policies().sort((a, b) => a.last_seq - b.last_seq);
    const n = (r: (typeof rows)[number]) => (JSON.parse(r.evaluation ?? '{}') as { decisions?: number }).decisions ?? 0;
    const early = rows.filter((r) => n(r) < 1150);
    expect(early.length).toBeGreaterThan(0);
    for (const r of early) expect(r.reason).toMatch(/not promoted: too few decisions with a reward: \d+ < 1150/);
    const active = store.bandit.activePolicy();
    expect(active).toBeDefined();
    expect(n(rows.find((r) => r.version === active!.version)!)).toBeGreaterThanOrEqual(1150);
  });
});
