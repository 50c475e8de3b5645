import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { withStore } from '../store.js';
import { trainModel, writeModelFile, type MetricSet, type TrainProgress } from '../../train/index.js';
import { table } from '../../telemetry/format.js';
import { removeOrphanTemps } from '../../shared/temp-files.js';
import { intOption, type Command } from '../command.js';

/**
 * One progress line per finished fit, folds in order: the cross-validation fits run concurrently and
 * finish in any order, so their lines are kept until the last one is done (the final fit starts then)
 * and printed by fold and λ. On a terminal the current epoch updates in place meanwhile.
 */
function progressPrinter(): (p: TrainProgress) => void {
  const tty = process.stderr.isTTY;
  const folds: { fold: number; l2: number; line: string }[] = [];
  const flush = () => {
    folds.sort((a, b) => a.fold - b.fold || a.l2 - b.l2);
    for (const f of folds) process.stderr.write(f.line);
    folds.length = 0;
  };
  return (p) => {
    const where = p.fold === null ? 'final fit' : `fold ${p.fold + 1}`;
    if (p.stage === 'epoch') {
      if (p.fold === null && folds.length > 0) flush();
      if (tty && p.epoch % 5 === 0) process.stderr.write(`\r${where}  l2 ${p.l2.toExponential(0)}  epoch ${String(p.epoch).padStart(3)}  loss ${p.loss.toFixed(5)}   `);
      return;
    }
    if (tty) process.stderr.write('\r\x1b[K');
    const what = p.stage === 'fold' ? 'held-out log-loss' : 'training loss';
    const line = `${where}  l2 ${p.l2.toExponential(0)}  ${p.epoch} epochs  ${what} ${p.loss.toFixed(5)}\n`;
    if (p.stage === 'fold') folds.push({ fold: p.fold ?? 0, l2: p.l2, line });
    else {
      flush();
      process.stderr.write(line);
    }
  };
}

function metricsTable(model: MetricSet, baseline: MetricSet): string {
  const rows = (['log_loss', 'auc', 'brier', 'ece'] as const).map((k) => {
    const better = k === 'auc' ? model[k] > baseline[k] : model[k] < baseline[k];
    return [k, Number(model[k].toFixed(4)), Number(baseline[k].toFixed(4)), Number((model[k] - baseline[k]).toFixed(4)), better ? 'model' : 'baseline'];
  });
  return table(['held-out metric', 'model', 'similarity baseline', 'delta', 'better'], rows);
}

export const trainCommand: Command = {
  name: 'train',
  postgres: true,
  summary: 'train the jump-quality model from the labels; promote it when it beats the similarity baseline',
  usage: 'train [--seed N] [--folds K] [--workers N] [--min-examples N]',
  options: {
    seed: { type: 'string', default: '1' },
    folds: { type: 'string', default: '5' },
    workers: { type: 'string' },
    'min-examples': { type: 'string', default: '20' },
  },
  optionHelp: {
    seed: 'random seed (fold assignment); same seed and labels give the same model',
    folds: 'cross-validation folds',
    workers: 'gradient worker threads (default: automatic by data size)',
    'min-examples': 'refuse to train with fewer labeled jumps',
  },
  async run({ values }) {
    const seed = intOption(values, 'seed', 0, 2 ** 31 - 1);
    const folds = intOption(values, 'folds', 2, 20);
    const minExamples = intOption(values, 'min-examples', 2, 1_000_000);
    const workers = values.workers === undefined ? undefined : intOption(values, 'workers', 0, 64);
    const config = loadConfig();
    const paths = config.paths;
    if (!config.databaseUrl && !existsSync(paths.db)) throw errors.invalidArgument(`no database at ${paths.db}: start the server and label some clips first`);
    await withStore(config, async (store) => {
      const examples = await store.models.labeledJumps();
      console.log(`training on ${examples.length} labeled jumps (seed ${seed}, ${folds} folds)`);
      const result = await trainModel(examples, { seed, folds, minExamples, ...(workers !== undefined ? { workers } : {}) }, progressPrinter());
      const m = result.model;
      console.log('');
      console.log(metricsTable(result.metrics, result.baselineMetrics));
      console.log(`\nmodel ${m.version}: ${m.n_examples} examples (good ${m.label_counts.good}, meh ${m.label_counts.meh}, bad ${m.label_counts.bad}), l2 ${m.l2}, ${m.training_ms.toFixed(0)} ms`);
      mkdirSync(paths.models, { recursive: true });
      // A train killed mid-write left its temp file behind: remove those of writers that are gone.
      // (On PostgreSQL the data dir may be shared by every node: there only old temp files are orphans.)
      removeOrphanTemps(paths.models, { shared: config.databaseUrl !== undefined });
      removeOrphanTemps(config.dataDir, { shared: config.databaseUrl !== undefined });
      await writeModelFile(join(paths.models, `${m.version}.json`), m);
      if (result.promoted) await writeModelFile(paths.model, m);
      // On PostgreSQL this row is what every node serves (src/ingest/active-model.ts); model.json is this machine's copy.
      await store.models.record(m, JSON.stringify(m), result.promoted, result.reason);
      console.log(result.promoted ? `PROMOTED: ${result.reason}; written to ${paths.model}` : `kept as a candidate, not promoted: ${result.reason}`);
    });
  },
};
