import { loadConfig } from '../../shared/config.js';
import { redacted } from '../../store/pg/index.js';
import { startSystem, type SystemOptions } from '../../app/system.js';
import type { Command } from '../command.js';
import { shutdownSignal } from './watch.js';

/**
 * Runs the system until SIGTERM/SIGINT, then shuts down gracefully: stop accepting, finish
 * in-flight work, flush the write queue, release render leases, close, exit 0.
 */
export async function runServer(opts: SystemOptions): Promise<never> {
  const config = loadConfig();
  const signal = shutdownSignal((sig) => console.log(`${sig}: stopping (flushing queued events)`));
  const system = await startSystem(config, opts);
  const r = system.server.recovered;
  if (r.inserted > 0 || r.invalid > 0) {
    console.log(`recovered ${r.inserted} events from the JSONL mirror (${r.lines} lines, ${r.invalid} unreadable)`);
  }
  // On PostgreSQL: one node of several behind a load balancer (each learner thread is elected or follows).
  if (config.databaseUrl !== undefined) console.log(`node ${config.nodeId} on PostgreSQL ${redacted(config.databaseUrl)}`);
  console.log(`listening on ${system.server.url}`);
  console.log(`player:  ${system.server.url}/`);
  console.log(`labeler: ${system.labelerUrl}`);
  console.log(`dashboard: ${system.dashboardUrl}`);
  if (config.uploadToken === undefined && !isLoopback(config.host)) {
    console.warn(`warning: anyone who can reach ${config.host}:${system.server.port} may upload tracks; set RL_UPLOAD_TOKEN to require a token`);
  }
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));
  await system.close();
  console.log('stopped');
  // Idle keep-alive connections would hold the event loop open; everything is flushed and closed.
  process.exit(0);
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

export const serveCommand: Command = {
  name: 'serve',
  postgres: true,
  summary: 'run the HTTP server (beacons, policy, telemetry, tracks, analysis, labeler, player)',
  usage: 'serve   (configured by PORT, HOST, RL_DATA_DIR, RL_POLICY_MODE, RL_POLICY_EPS, ...)',
  run: () => runServer({}),
};

export const startCommand: Command = {
  name: 'start',
  postgres: true,
  summary: 'run the whole system: the server, the snippet render watcher and the demo track (what `make start` runs)',
  usage: 'start',
  run: () => runServer({ demoTrack: true, watcher: { pre: 2, post: 3, log: (l) => console.log(`[render] ${l}`) } }),
};
