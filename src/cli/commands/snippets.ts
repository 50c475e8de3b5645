import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { createRenderStack } from '../../render/stack.js';
import { intOption, numberOption, type Command } from '../command.js';

export const snippetsCommand: Command = {
  name: 'snippets',
  postgres: true,
  summary: 'render pending jump snippets through the worker pool, then print a summary',
  usage: 'snippets [--limit N] [--pre SECONDS] [--post SECONDS] [--retry-failed]',
  options: {
    limit: { type: 'string', default: '10' },
    pre: { type: 'string', default: '2' },
    post: { type: 'string', default: '3' },
    'retry-failed': { type: 'boolean' },
  },
  optionHelp: {
    limit: 'render at most N snippets',
    pre: 'seconds before the jump',
    post: 'seconds after the jump',
    'retry-failed': 'first put every failed snippet back in the queue (after fixing the cause), and say how many',
  },
  async run({ values }) {
    const limit = intOption(values, 'limit', 1, 10_000_000);
    const pre = numberOption(values, 'pre', 0, 60);
    const post = numberOption(values, 'post', 0, 60);
    if (pre + post <= 0) throw errors.invalidArgument('--pre + --post must be > 0 seconds');
    const config = loadConfig();
    if (!config.databaseUrl && !existsSync(config.paths.db)) throw errors.invalidArgument(`no database at ${config.paths.db}: start the server first (make start)`);
    const stack = await createRenderStack(config, { pre, post });
    const interrupted = new AbortController();
    const onSignal = () => interrupted.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const total = { rendered: 0, failed: 0, retrying: 0, skipped: 0 };
    const t0 = performance.now();
    try {
      if (values['retry-failed'] === true) {
        const n = await stack.queue.retryFailed();
        console.log(`re-queued ${n} failed snippet${n === 1 ? '' : 's'}`);
      }
      const todo = Math.min(limit, await stack.queue.refresh());
      const bar = process.stdout.isTTY && todo > 0
        ? new cliProgress.SingleBar({ format: 'rendering [{bar}] {value}/{total} snippets | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic)
        : null;
      bar?.start(todo, 0);
      // One pipeline for the whole run (RenderQueue.runBatch): the pool never drains between batches.
      const b = await stack.queue.runBatch(todo, () => bar?.increment(), interrupted.signal);
      total.rendered += b.rendered;
      total.failed += b.failed;
      total.retrying += b.retrying;
      total.skipped += b.skipped;
      bar?.stop();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stack.close();
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`snippets: ${total.rendered} rendered, ${total.failed} failed, ${total.skipped} skipped in ${s.toFixed(2)} s (${(total.rendered / s).toFixed(1)} snippets/s)`);
    if (total.retrying > 0) {
      console.log(`${total.retrying} failed for a temporary reason (permissions, disk, ...) and will be retried after a backoff (harmonizer watch, or snippets again)`);
    }
    return (total.failed > 0 || total.retrying > 0) && total.rendered === 0 ? 1 : 0;
  },
};
