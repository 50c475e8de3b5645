import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURE_WIDTH, featureVector, featuresOfEvent } from '../src/policy/features.js';
import { isHarmonizerError } from '../src/shared/errors.js';
import { buildDataset, standardization, type LabeledJump } from '../src/train/dataset.js';
import { assignFolds } from '../src/train/folds.js';
import { syntheticJumps } from '../src/train/synthetic.js';

function expectCode(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isHarmonizerError(e) && e.code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a throw');
}

describe('buildDataset', () => {
  const ex = syntheticJumps(40, 1);

  it('encodes features with the shared encoder and averages labels into soft targets', () => {
    const mixed: LabeledJump[] = ex.map((e, i) => (i === 0 ? { ...e, labels: ['good', 'meh', 'bad', 'good'] } : e));
    const ds = buildDataset(mixed);
    expect(ds.rows).toBe(40);
    expect(ds.cols).toBe(FEATURE_WIDTH);
    expect(ds.x.length).toBe(40 * FEATURE_WIDTH);
    const i = ds.ids.indexOf(mixed[0].event_id);
    expect(ds.y[i]).toBeCloseTo(0.625, 15);
    expect(Array.from(ds.x.subarray(i * FEATURE_WIDTH, (i + 1) * FEATURE_WIDTH))).toEqual(
      Array.from(featureVector(featuresOfEvent(mixed[0]))),
    );
    const total = mixed.reduce((s, e) => s + e.labels.length, 0);
    expect(ds.labelCounts.good + ds.labelCounts.meh + ds.labelCounts.bad).toBe(total);
    expect(ds.labelCounts.meh).toBe(1);
    // onset_mismatch is sometimes null: its indicator column is set, never a silent 0 alone.
    const col = FEATURE_NAMES.indexOf('onset_mismatch_missing');
    expect(Array.from({ length: 40 }, (_, r) => ds.x[r * FEATURE_WIDTH + col]).some((v) => v === 1)).toBe(true);
  });

  it('sorts by event_id: order-independent rows and data_hash; hash sees labels', () => {
    const a = buildDataset(ex);
    const b = buildDataset([...ex].reverse());
    expect(b.dataHash).toBe(a.dataHash);
    expect(b.ids).toEqual(a.ids);
    expect(a.dataHash).toMatch(/^[0-9a-f]{64}$/);
    const flipped = ex.map((e, i) => (i === 3 ? { ...e, labels: [e.labels[0] === 'good' ? 'bad' : 'good'] as const } : e));
    expect(buildDataset(flipped as LabeledJump[]).dataHash).not.toBe(a.dataHash);
  });

  it('refuses too few examples (configurable minimum)', () => {
    expectCode(() => buildDataset(ex.slice(0, 19)), 'TRAINING_REFUSED', /too few labeled examples: 19 \(need at least 20\)/);
    expect(buildDataset(ex.slice(0, 10), { minExamples: 10 }).rows).toBe(10);
  });

  it('refuses one class only', () => {
    const allGood = ex.map((e) => ({ ...e, labels: ['good' as const] }));
    expectCode(() => buildDataset(allGood), 'TRAINING_REFUSED', /one class only/);
    const allMeh = ex.map((e) => ({ ...e, labels: ['meh' as const] }));
    expectCode(() => buildDataset(allMeh), 'TRAINING_REFUSED', /one class only/);
    const oneBad = ex.map((e, i) => ({ ...e, labels: [i === 0 ? ('bad' as const) : ('good' as const)] }));
    expectCode(() => buildDataset(oneBad, { minPerClass: 5 }), 'TRAINING_REFUSED', /at least 5 of each/);
  });

  it('refuses NaN / Infinity features, naming the example and field', () => {
    const nan = ex.map((e, i) => (i === 2 ? { ...e, similarity: NaN } : e));
    expectCode(() => buildDataset(nan), 'TRAINING_REFUSED', new RegExp(`"${ex[2].event_id}".*similarity`));
    const inf = ex.map((e, i) => (i === 5 ? { ...e, context: { ...e.context, chroma_distance: Infinity } } : e));
    expectCode(() => buildDataset(inf), 'TRAINING_REFUSED', /chroma_distance/);
    const overflow = ex.map((e, i) => (i === 1 ? { ...e, span: 1e308, context: { ...e.context, n_beats: 1e-308 } } : e));
    expectCode(() => buildDataset(overflow), 'TRAINING_REFUSED', /span_rel/);
  });

  it('rejects malformed examples as INVALID_ARGUMENT', () => {
    expectCode(() => buildDataset([...ex, ex[0]]), 'INVALID_ARGUMENT', /duplicate event_id/);
    const noLabels = ex.map((e, i) => (i === 0 ? { ...e, labels: [] } : e));
    expectCode(() => buildDataset(noLabels), 'INVALID_ARGUMENT', /has no labels/);
    const unknown = ex.map((e, i) => (i === 0 ? { ...e, labels: ['great'] } : e)) as unknown as LabeledJump[];
    expectCode(() => buildDataset(unknown), 'INVALID_ARGUMENT', /unknown label "great"/);
  });
});

describe('standardization and folds', () => {
  it('uses only weighted (training) rows; std 0 → 1', () => {
    const x = Float64Array.from([1, 5, 3, 5, 100, 5]); // 3 rows × 2 cols, col 1 constant
    const st = standardization(x, 3, 2, Float64Array.from([1, 1, 0]));
    expect(Array.from(st.mean)).toEqual([2, 5]);
    expect(Array.from(st.std)).toEqual([1, 1]);
    const all = standardization(x, 3, 2, null);
    expect(all.mean[0]).toBeCloseTo(104 / 3, 12);
  });

  it('stratified, seeded, balanced fold assignment', () => {
    const y = Float64Array.from({ length: 103 }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.5));
    const a = assignFolds(y, 5, 42);
    expect(Array.from(assignFolds(y, 5, 42))).toEqual(Array.from(a));
    expect(Array.from(assignFolds(y, 5, 43))).not.toEqual(Array.from(a));
    for (let f = 0; f < 5; f++) {
      const idx = Array.from(a.keys()).filter((i) => a[i] === f);
      expect(idx.length).toBeGreaterThanOrEqual(20);
      expect(idx.length).toBeLessThanOrEqual(21);
      expect(idx.some((i) => y[i] === 1) && idx.some((i) => y[i] === 0)).toBe(true);
    }
  });
});
