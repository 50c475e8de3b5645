/**
 * What the ingest benchmarks share: starting a server process, driving it with the load generator (in
 * its own process), and reading a process's CPU time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/shared/paths.js';

export const dist = (p: string) => join(projectRoot, 'dist', p);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** The load generator warms up this long before it measures (bench/support/loadgen.ts). */
export const WARMUP_S = 1;

export interface LoadResult {
  requests: number;
  ok_requests: number;
  statuses: Record<string, number>;
  requests_per_s: number;
  events_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

export function startServer(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
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

export function load(url: string, eventsPerRequest: number, connections: number): Promise<LoadResult> {
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

/** Stops a server process (SIGTERM) and waits for it. */
export async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

export async function withServer<T>(args: string[], env: Record<string, string>, fn: (url: string, child: ChildProcess) => Promise<T>): Promise<T> {
  // The previous run's dirty pages are written back first, so that writeback does not slow this
  // run's fsyncs.
  spawnSync('sync');
  const { child, url } = await startServer(args, env);
  try {
    return await fn(url, child);
  } finally {
    await stopServer(child);
  }
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc; USER_HZ 100). */
export function processCpu(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
