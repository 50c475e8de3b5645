import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/store/index.js';
import { validateEvent } from '../src/ingest/validate.js';
import { syntheticJumps } from '../src/train/synthetic.js';
import { validateModelJson } from '../src/policy/model.js';
import { pGood } from '../src/policy/scoring.js';
import { featuresOfEvent } from '../src/policy/features.js';
import { makeEvent, runCli, tempDir } from './support/env.js';

/** `harmonizer train` end to end: labels in SQLite -> model.json, models table, promotion. */
describe('train command', () => {
  let tmp: ReturnType<typeof tempDir>;
  const env = () => ({ RL_DATA_DIR: tmp.dir });

  /** Stores synthetic jumps (labels from a known logistic rule) as events + labels. */
  const seed = (n: number, transform: (label: 'good' | 'meh' | 'bad', i: number) => 'good' | 'meh' | 'bad' = (l) => l) => {
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      const jumps = syntheticJumps(n, 7);
      store.events.insertMany(
        jumps.map((j) => {
          const r = validateEvent(makeEvent({ event_id: j.event_id, similarity: j.similarity, span: j.span, same_section: j.same_section, context: j.context }), 0, 1);
          if (!r.ok) throw new Error(JSON.stringify(r.problems));
          return r.event;
        }),
      );
      jumps.forEach((j, i) => store.labels.upsert({ event_id: j.event_id, labeler: 'ann', label: transform(j.labels[0]!, i), time_spent_ms: 1000, now: 1 }));
      return jumps;
    } finally {
      store.close();
    }
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('trains, prints the metrics against the baseline, promotes and writes model.json', async () => {
    const jumps = seed(400);
    // Left by a train that was killed mid-write (its pid is gone), and one a live writer is writing now.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(join(tmp.dir, 'models'), { recursive: true });
    writeFileSync(join(tmp.dir, 'models', `.m-old.json.${dead}.ab12cd34.tmp`), '{');
    writeFileSync(join(tmp.dir, `.model.json.${dead}.ab12cd34.tmp`), '{');
    writeFileSync(join(tmp.dir, 'models', `.m-live.json.${process.pid}.ab12cd34.tmp`), '{');
    const r = await runCli(['train', '--seed', '3'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training on 400 labeled jumps/);
    expect(r.stdout).toMatch(/held-out metric\s+model\s+similarity baseline/);
    expect(r.stdout).toMatch(/log_loss/);
    expect(r.stderr).toMatch(/fold 1 .*held-out log-loss/);
    // The folds' fits finish in any order; they are printed by fold, then the final fit.
    const printed = [...r.stderr.matchAll(/^(fold (\d+)|final fit) /gm)].map((m) => (m[2] ? Number(m[2]) : Infinity));
    expect(printed.length).toBeGreaterThan(5);
    expect(printed).toEqual([...printed].sort((a, b) => a - b));
    expect(printed[printed.length - 1]).toBe(Infinity);
    expect(r.stdout).toMatch(/PROMOTED/);
    const model = validateModelJson(JSON.parse(readFileSync(join(tmp.dir, 'model.json'), 'utf8')));
    expect(model.n_examples).toBe(400);
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(store.models.active()?.version).toBe(model.version);
    store.close();
    // The dead writer's temp files are gone; the live one's stays.
    expect(readdirSync(join(tmp.dir, 'models')).sort()).toEqual([`.m-live.json.${process.pid}.ab12cd34.tmp`, `${model.version}.json`]);
    expect(existsSync(join(tmp.dir, `.model.json.${dead}.ab12cd34.tmp`))).toBe(false);
    // Telemetry shows the active model with its held-out metrics, and the per-arm good rates.
    const t = await runCli(['telemetry', '--json'], env());
    const report = JSON.parse(t.stdout);
    expect(report.model).toMatchObject({ version: model.version, n_examples: 400 });
    expect(report.model.metrics.held_out.log_loss).toBeCloseTo(model.metrics.held_out.log_loss, 9);
    const base = report.arms.find((a: { arm: string }) => a.arm === 'baseline');
    const good = jumps.filter((j) => j.labels[0] === 'good').length;
    expect(base).toMatchObject({ labels: 400, good });
    expect(base.good_rate_ci95[0]).toBeLessThan(base.good_rate);
    expect(base.good_rate_ci95[1]).toBeGreaterThan(base.good_rate);
    const text = await runCli(['telemetry'], env());
    expect(text.stdout).toMatch(/arm\s+sessions\s+events\s+labels\s+good\s+good rate\s+95% CI/);
    // The browser's scoring module applies the file: scores are probabilities.
    const p = pGood(model, featuresOfEvent(jumps[0]!));
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
  }, 60_000);

  it('gives the same model with 2 gradient workers as with the automatic choice', async () => {
    seed(120);
    const a = await runCli(['train', '--seed', '5'], env());
    expect(a.code, a.stderr).toBe(0);
    const first = JSON.parse(readFileSync(join(tmp.dir, 'model.json'), 'utf8'));
    const b = await runCli(['train', '--seed', '5', '--workers', '2'], env());
    expect(b.code, b.stderr).toBe(0);
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    // Same labels and seed: same data hash (and, within a second, the same version: one row).
    const second = JSON.parse(store.models.list()[0]!.model_json);
    store.close();
    expect(second.data_hash).toBe(first.data_hash);
    second.weights.forEach((w: number, i: number) => expect(w).toBeCloseTo(first.weights[i], 9));
  }, 60_000);

  it('keeps a model that does not beat the baseline as a candidate and says why', async () => {
    // Labels that ignore the features: nothing beats the similarity baseline.
    seed(200, (_l, i) => (i % 2 === 0 ? 'good' : 'bad'));
    const r = await runCli(['train'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kept as a candidate, not promoted: /);
    expect(existsSync(join(tmp.dir, 'model.json'))).toBe(false);
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(store.models.list()).toHaveLength(1);
    expect(store.models.active()).toBeUndefined();
    store.close();
  }, 60_000);

  it('refuses too few labels with a clear message and writes nothing', async () => {
    seed(8);
    const r = await runCli(['train'], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/harmonizer: .*(too few|at least)/i);
    expect(existsSync(join(tmp.dir, 'model.json'))).toBe(false);
    const bad = await runCli(['train', '--folds', '1'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--folds must be an integer from 2 to 20/);
  });
});
