import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../src/policy/features.js';
import { validateModelJson, type ModelJson } from '../src/policy/model.js';
import { pGood, scoreCandidates } from '../src/policy/scoring.js';
import { featuresOfEvent } from '../src/policy/features.js';
import { isHarmonizerError } from '../src/shared/errors.js';
import { buildDataset } from '../src/train/dataset.js';
import {
  auc,
  createEvaluator,
  decidePromotion,
  readModelFile,
  trainModel,
  writeModelFile,
  type TrainProgress,
} from '../src/train/index.js';
import { DEFAULT_TRUTH, syntheticJumps, trueLogit } from '../src/train/synthetic.js';

// Inline evaluation (0 workers) is bit-identical to the pool (see train-pool.test.ts) and fast for these sizes.
const FAST = { workers: 0, now: () => new Date('2026-01-02T03:04:05.678Z') };
const tmp = mkdtempSync(join(tmpdir(), 'harmonizer-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isHarmonizerError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('trainModel on labels from a known logistic rule', async () => {
  const ex = syntheticJumps(6000, 17);
  const events: TrainProgress[] = [];
  const result = await trainModel(ex, { ...FAST, seed: 3 }, (e) => events.push(e));
  const m = result.model;
  const col = (name: string) => FEATURE_NAMES.indexOf(name);
  const raw = (name: string) => m.weights[col(name)] / m.std[col(name)];

  it('recovers the true raw-unit weights', () => {
    expect(raw('similarity')).toBeCloseTo(DEFAULT_TRUTH.similarity, 0);
    expect(Math.abs(raw('similarity') - DEFAULT_TRUTH.similarity)).toBeLessThan(0.45);
    expect(Math.abs(raw('chroma_distance') - DEFAULT_TRUTH.chroma_distance)).toBeLessThan(0.45);
    expect(Math.abs(raw('same_section') - DEFAULT_TRUTH.same_section)).toBeLessThan(0.2);
    expect(Math.abs(raw('timbre_distance') - DEFAULT_TRUTH.timbre_distance)).toBeLessThan(0.04);
    // Irrelevant features stay near 0.
    for (const n of ['loudness_delta_db', 'beat_duration_ratio', 'span_backward']) expect(Math.abs(m.weights[col(n)])).toBeLessThan(0.08);
  });

  it('held-out AUC is close to the true model\'s AUC; beats the baseline; promoted', () => {
    const ds = buildDataset(ex);
    const byId = new Map(ex.map((e) => [e.event_id, e]));
    const pTrue = ds.ids.map((id) => 1 / (1 + Math.exp(-trueLogit(byId.get(id)!, DEFAULT_TRUTH))));
    const trueAuc = auc(ds.y, pTrue);
    expect(Math.abs(result.metrics.auc - trueAuc)).toBeLessThan(0.02);
    expect(result.metrics.log_loss).toBeLessThan(result.baselineMetrics.log_loss - 0.03);
    expect(result.metrics.auc).toBeGreaterThan(result.baselineMetrics.auc);
    expect(result.promoted).toBe(true);
    expect(result.reason).toMatch(/^promoted: held-out log-loss/);
  });

  it('fills model.json fields and folds detail', () => {
    expect(m.version).toBe(`20260102T030405Z-${m.data_hash.slice(0, 8)}`);
    expect(m.created_at).toBe('2026-01-02T03:04:05.678Z');
    expect(m.feature_names).toEqual(FEATURE_NAMES);
    expect(m.n_examples).toBe(6000);
    expect(m.label_counts.good + m.label_counts.bad).toBe(6000);
    expect(m.metrics.k_folds).toBe(5);
    expect(m.seed).toBe(3);
    expect([1e-4, 1e-3, 1e-2, 1e-1, 1]).toContain(m.l2);
    expect(result.folds).toHaveLength(5);
    expect(result.folds.reduce((s, f) => s + f.n_test, 0)).toBe(6000);
    expect(result.grid).toHaveLength(5);
    expect(validateModelJson(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('reports progress: epochs, folds, final', () => {
    expect(events.filter((e) => e.stage === 'fold')).toHaveLength(25);
    expect(events.some((e) => e.stage === 'epoch' && e.fold === null)).toBe(true);
    const last = events[events.length - 1];
    expect(last.stage).toBe('final');
    expect(last.fold).toBeNull();
    expect(Number.isFinite(last.loss)).toBe(true);
  });

  it('model.json round-trips: write → read → validate → identical p(good)', async () => {
    const path = join(tmp, 'model.json');
    await writeModelFile(path, m);
    expect(readdirSync(tmp)).toEqual(['model.json']); // temp file renamed away
    const back = await readModelFile(path);
    for (const e of ex.slice(0, 200)) expect(pGood(back, featuresOfEvent(e))).toBe(pGood(m, featuresOfEvent(e)));
    const cands = ex.slice(0, 8).map(featuresOfEvent);
    expect(scoreCandidates(back, cands)).toEqual(scoreCandidates(m, cands));
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const sub = ex.slice(0, 800);
    const a = await trainModel(sub, { ...FAST, seed: 1 });
    const b = await trainModel([...sub].reverse(), { ...FAST, seed: 1 });
    expect(b.model).toEqual({ ...a.model, training_ms: b.model.training_ms });
    const c = await trainModel(sub, { ...FAST, seed: 2 });
    expect(c.folds.map((f) => f.log_loss)).not.toEqual(a.folds.map((f) => f.log_loss));
  });
});

describe('promotion and refusal', () => {
  it('keeps a model that does not beat the similarity-only baseline as a candidate, with a reason', async () => {
    const simOnly = { bias: -1.5, similarity: 3, same_section: 0, chroma_distance: 0, timbre_distance: 0 };
    // Default worker choice (small matrix → inline).
    const r = await trainModel(syntheticJumps(3000, 8, simOnly), { now: FAST.now });
    expect(r.promoted).toBe(false);
    expect(r.reason).toMatch(/^kept as candidate: held-out log-loss .* < required margin/);
  });

  it('decidePromotion margin: max(0.01 nats, 2 %)', () => {
    const set = (ll: number) => ({ log_loss: ll, auc: 0.5, brier: 0.25, ece: 0 });
    expect(decidePromotion(set(0.59), set(0.6)).promoted).toBe(false); // 0.01 < 0.012
    expect(decidePromotion(set(0.587), set(0.6)).promoted).toBe(true); // 0.013 ≥ 0.012
    expect(decidePromotion(set(0.195), set(0.2)).promoted).toBe(false); // 0.005 < 0.01
    expect(decidePromotion(set(0.19), set(0.2)).promoted).toBe(true);
  });

  it('refuses too few examples, one class, NaN features — before starting workers', async () => {
    const ex = syntheticJumps(60, 4);
    const few = await refusal(trainModel(ex.slice(0, 12), { workers: 1 }));
    expect(few).toEqual({ code: 'TRAINING_REFUSED', message: 'too few labeled examples: 12 (need at least 20)' });
    const one = await refusal(trainModel(ex.map((e) => ({ ...e, labels: ['bad' as const] })), { workers: 1 }));
    expect(one.code).toBe('TRAINING_REFUSED');
    expect(one.message).toMatch(/one class only/);
    const nan = await refusal(trainModel(ex.map((e, i) => (i === 7 ? { ...e, span: NaN } : e)), { workers: 1 }));
    expect(nan.code).toBe('TRAINING_REFUSED');
    expect(nan.message).toMatch(/non-finite feature span/);
    const perClass = await refusal(trainModel(ex.map((e, i) => ({ ...e, labels: [i < 3 ? ('good' as const) : ('bad' as const)] })), FAST));
    expect(perClass.message).toMatch(/5-fold cross-validation/);
  });

  it('validates options, naming the option', async () => {
    const ex = syntheticJumps(30, 4);
    const cases: [object, RegExp][] = [
      [{ folds: 1 }, /options\.folds must be an integer from 2 to 20 \(got 1\)/],
      [{ seed: -1 }, /options\.seed/],
      [{ l2Grid: [0.1, -1] }, /options\.l2Grid must be a non-empty array of positive finite numbers \(got \[0\.1, -1\]\)/],
      [{ workers: 1.5 }, /options\.workers/],
      [{ tolerance: 0 }, /options\.tolerance/],
      [{ minExamples: 3 }, /options\.minExamples must be an integer from 5/],
    ];
    for (const [o, re] of cases) {
      const r = await refusal(trainModel(ex, o));
      expect(r.code).toBe('INVALID_ARGUMENT');
      expect(r.message).toMatch(re);
    }
  });

  it('stops on abort and when a fit fails (here: the progress callback throws)', async () => {
    const ex = syntheticJumps(300, 5);
    const ac = new AbortController();
    ac.abort(new Error('user cancelled'));
    await expect(trainModel(ex, { ...FAST, signal: ac.signal })).rejects.toThrow(/user cancelled/);
    await expect(
      trainModel(ex, { workers: 1 }, (e) => {
        if (e.stage === 'fold') throw new Error('progress sink broke');
      }),
    ).rejects.toThrow(/progress sink broke/);
  });

  it('rejects a context that is not an object', async () => {
    const ex = syntheticJumps(30, 4).map((e, i) => (i === 0 ? { ...e, context: '{"n_beats":3}' } : e));
    const r = await refusal(trainModel(ex as never, FAST));
    expect(r).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(r.message).toMatch(/context must be an object or null/);
  });

  it('accepts an injected evaluator and leaves it open', async () => {
    const pool = createEvaluator(0);
    const r = await trainModel(syntheticJumps(200, 5), { pool, now: FAST.now, l2Grid: [0.01] });
    expect(r.grid).toHaveLength(1);
    await pool.close();
  });
});

describe('validateModelJson', () => {
  it('names the bad field', async () => {
    const good = (await trainModel(syntheticJumps(200, 6), { ...FAST, l2Grid: [0.01] })).model;
    const bad = (patch: Partial<Record<keyof ModelJson, unknown>>) => () => validateModelJson({ ...good, ...patch });
    expect(bad({ weights: good.weights.slice(1) })).toThrow(/weights must be an array of 22 numbers \(got 21\)/);
    expect(bad({ std: good.std.map((s, i) => (i === 2 ? 0 : s)) })).toThrow(/std\[2\] must be a finite positive number/);
    expect(bad({ feature_names: [...FEATURE_NAMES].reverse() })).toThrow(/feature_names do not match/);
    expect(bad({ bias: null })).toThrow(/bias/);
    expect(bad({ version: '' })).toThrow(/version/);
    expect(bad({ metrics: { ...good.metrics, held_out: { log_loss: 1 } } })).toThrow(/metrics\.held_out\.auc/);
    expect(() => validateModelJson('x')).toThrow(/not an object/);
    const path = join(tmp, 'broken.json');
    writeFileSync(path, '{oops');
    await expect(readModelFile(path)).rejects.toThrow(/is not JSON/);
    await expect(writeModelFile(join(tmp, 'never.json'), { ...good, bias: NaN })).rejects.toThrow(/bias/);
    expect(() => readFileSync(join(tmp, 'never.json'))).toThrow();
  });
});
