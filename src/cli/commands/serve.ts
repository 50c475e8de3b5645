import { loadConfig } from '../../shared/config.js';
import { startServer } from '../../ingest/server.js';
import type { Command } from '../command.js';

/** Runs the server until SIGTERM/SIGINT, then shuts down gracefully (exit 0). */
export async function runServer(): Promise<never> {
  const config = loadConfig();
  const server = await startServer(config);
  const r = server.recovered;
  if (r.inserted > 0 || r.invalid > 0) {
    console.log(`recovered ${r.inserted} events from the JSONL mirror (${r.lines} lines, ${r.invalid} unreadable)`);
  }
  console.log(`listening on ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      console.log(`${sig}: stopping (flushing queued events)`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await server.close();
  console.log('stopped');
  // Idle keep-alive connections would hold the event loop open; everything is flushed and closed.
  process.exit(0);
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP server (beacon ingest, policy, telemetry, metrics)',
  usage: 'serve   (configured by PORT, HOST, RL_DATA_DIR, RL_POLICY_MODE, RL_POLICY_EPS, ...)',
  run: runServer,
};
