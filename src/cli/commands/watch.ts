import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { runWatcher } from '../../render/watcher.js';
import { numberOption, type Command } from '../command.js';

/** An AbortSignal that fires on the first SIGTERM or SIGINT. */
export function shutdownSignal(onStop?: (sig: string) => void): AbortSignal {
  const ac = new AbortController();
  const stop = (sig: string) => {
    onStop?.(sig);
    ac.abort();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return ac.signal;
}

export const watchCommand: Command = {
  name: 'watch',
  postgres: true,
  summary: 'render snippets continuously as jump events and tracks arrive (daemon)',
  usage: 'watch [--pre SECONDS] [--post SECONDS] [--sweep SECONDS] [--lease SECONDS]',
  options: {
    pre: { type: 'string', default: '2' },
    post: { type: 'string', default: '3' },
    sweep: { type: 'string', default: '2' },
    lease: { type: 'string', default: '60' },
  },
  optionHelp: {
    pre: 'seconds before the jump',
    post: 'seconds after the jump',
    sweep: 'seconds between periodic sweeps',
    lease: 'seconds a claimed snippet stays leased (a crashed renderer\'s claims return after this)',
  },
  async run({ values }) {
    const pre = numberOption(values, 'pre', 0, 60);
    const post = numberOption(values, 'post', 0, 60);
    const sweep = numberOption(values, 'sweep', 0.05, 3600);
    const lease = numberOption(values, 'lease', 0.1, 86_400);
    if (pre + post <= 0) throw errors.invalidArgument('--pre + --post must be > 0 seconds');
    const signal = shutdownSignal((sig) => console.log(`${sig}: finishing in-flight renders`));
    await runWatcher(loadConfig(), { pre, post, sweepMs: Math.round(sweep * 1000), leaseMs: Math.round(lease * 1000), signal });
    process.exit(0);
  },
};
