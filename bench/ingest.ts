/**
 * Ingest benchmark (`make bench-ingest`): one load generator drives three servers in one run:
 * this server, a bare uWebSockets.js server that only answers 204 (the ceiling), and a naive
 * node:http + better-sqlite3 server committing each request on its own. Prints events/s, p50,
 * p99 and the ratios, and writes bench/out/ingest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/shared/paths.js';
import { table } from '../src/telemetry/format.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const dist = (p: string) => join(projectRoot, 'dist', p);

interface LoadResult {
  requests: number;
  ok_requests: number;
  statuses: Record<string, number>;
  requests_per_s: number;
  events_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

function startServer(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

function load(url: string, eventsPerRequest: number, connections = CONNECTIONS): Promise<LoadResult> {
  const child = spawn(process.execPath, [dist('bench/support/loadgen.js'), `${url}/api/rl/jump-event`, String(connections), String(SECONDS), String(eventsPerRequest)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => child.on('exit', () => {
    try {
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    } catch (err) {
      reject(err);
    }
  }));
}

async function withServer<T>(args: string[], env: Record<string, string>, fn: (url: string) => Promise<T>): Promise<T> {
  const { child, url } = await startServer(args, env);
  try {
    return await fn(url);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const work = mkdtempSync(join(tmpdir(), 'harmonizer-bench-'));
try {
  const results: Record<string, LoadResult> = {};
  console.log(`ingest benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run (after 1 s warm-up), random v4 event ids\n`);
  results.bare_1 = await withServer([dist('bench/support/bare-uws.js')], {}, (u) => load(u, 1));
  results.harmonizer_1 = await withServer([dist('src/cli/main.js'), 'serve'], { PORT: '0', RL_DATA_DIR: join(work, 'h1') }, (u) => load(u, 1));
  results.naive_1 = await withServer([dist('bench/support/naive-server.js'), join(work, 'naive.sqlite3')], {}, (u) => load(u, 1));
  results.harmonizer_50 = await withServer([dist('src/cli/main.js'), 'serve'], { PORT: '0', RL_DATA_DIR: join(work, 'h50') }, (u) => load(u, 50, 16));

  const row = (name: string, r: LoadResult, epr: number) => [name, epr, Math.round(r.requests_per_s), Math.round(r.events_per_s), r.p50_ms, r.p99_ms, r.ok_requests === r.requests ? 'all 2xx' : JSON.stringify(r.statuses)];
  console.log(
    table(['server', 'events/req', 'requests/s', 'events/s', 'p50 ms', 'p99 ms', 'statuses'], [
      row('bare uWS (ceiling)', results.bare_1!, 1),
      row('harmonizer', results.harmonizer_1!, 1),
      row('naive http+sqlite', results.naive_1!, 1),
      row('harmonizer', results.harmonizer_50!, 50),
    ]),
  );
  const ofCeiling = results.harmonizer_1!.requests_per_s / results.bare_1!.requests_per_s;
  const vsNaive = results.harmonizer_1!.events_per_s / results.naive_1!.events_per_s;
  console.log(`\nsingle-event beacons: ${(ofCeiling * 100).toFixed(1)} % of the bare-uWS ceiling (target >= 60 %), ${vsNaive.toFixed(1)}x the naive server (target >= 20x), p99 ${results.harmonizer_1!.p99_ms.toFixed(2)} ms (target <= 20 ms)`);
  console.log(`50-event beacons: ${Math.round(results.harmonizer_50!.events_per_s)} events/s (target >= 300000)`);
  mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
  writeFileSync(join(projectRoot, 'bench', 'out', 'ingest.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, results, ratios: { of_ceiling: ofCeiling, vs_naive: vsNaive } }, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
