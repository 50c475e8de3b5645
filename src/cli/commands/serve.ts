import { loadConfig } from '../../shared/config.js';
import { startServer, type ServerOptions } from '../../ingest/server.js';
import { runWatcher } from '../../render/watcher.js';
import type { Command } from '../command.js';
import { shutdownSignal } from './watch.js';

/**
 * Runs the server (and, for `start`, the render watcher next to it) until SIGTERM/SIGINT, then
 * shuts down gracefully: stop accepting, finish in-flight work, flush, close, exit 0.
 */
export async function runServer(opts: { watcher: boolean; server?: ServerOptions }): Promise<never> {
  const config = loadConfig();
  const signal = shutdownSignal((sig) => console.log(`${sig}: stopping (flushing queued events)`));
  const server = await startServer(config, opts.server);
  const r = server.recovered;
  if (r.inserted > 0 || r.invalid > 0) {
    console.log(`recovered ${r.inserted} events from the JSONL mirror (${r.lines} lines, ${r.invalid} unreadable)`);
  }
  console.log(`listening on ${server.url}`);
  const watcher = opts.watcher ? runWatcher(config, { pre: 2, post: 3, signal, log: (l) => console.log(`[render] ${l}`) }) : null;
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));
  await Promise.all([server.close(), watcher]);
  console.log('stopped');
  // Idle keep-alive connections would hold the event loop open; everything is flushed and closed.
  process.exit(0);
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP server (beacon ingest, policy, telemetry, metrics)',
  usage: 'serve   (configured by PORT, HOST, RL_DATA_DIR, RL_POLICY_MODE, RL_POLICY_EPS, ...)',
  run: () => runServer({ watcher: false }),
};

export const startCommand: Command = {
  name: 'start',
  summary: 'run the whole system: the server and the snippet render watcher (what `make start` runs)',
  usage: 'start',
  run: () => runServer({ watcher: true }),
};
