/**
 * PostgreSQL ingest benchmark (`make bench-ingest-pg`): the load generator of bench-ingest against, in one
 * run, one ingest node on SQLite, one on PostgreSQL, and two nodes on one PostgreSQL database (half the
 * connections each), with single events and 50-event beacons. Prints events/s, p50 / p99, the ratios to
 * the SQLite node, and the CPU each configuration spends per event (ingest node processes and the
 * PostgreSQL server separately), so the scale on a machine with more cores can be worked out. Writes
 * bench/out/ingest-pg.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { projectRoot } from '../src/shared/paths.js';
import { table } from '../src/telemetry/format.js';
import { SECONDS, WARMUP_S, dist, load, processCpu, startServer, stopServer, type LoadResult } from './support/servers.js';
import { startPgCluster, type PgCluster } from './support/pg-cluster.js';

const SINGLE_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 16);

interface Run {
  name: string;
  events_per_request: number;
  connections: number;
  events_per_s: number;
  requests_per_s: number;
  /** Of the node(s): the worst p50 / p99 of the load generators. */
  p50_ms: number;
  p99_ms: number;
  all_2xx: boolean;
  /** CPU per stored event, microseconds: the ingest node processes, and the PostgreSQL server. */
  node_cpu_us_per_event: number;
  pg_cpu_us_per_event: number;
}

/** Runs `nodes` serve processes, one load generator per node (connections split), sums what they measured. */
async function run(name: string, cluster: PgCluster | null, nodes: number, epr: number, connections: number, work: string): Promise<Run> {
  const url = cluster ? cluster.database(`bench_${name.replace(/\W+/g, '_')}_${epr}`) : undefined;
  const servers: { child: ChildProcess; url: string }[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', RL_DATA_DIR: join(work, `${name}-${epr}-${i}`).replace(/\s+/g, '-') };
      if (url) Object.assign(env, { RL_DATABASE_URL: url, RL_NODE_ID: `node-${i}` });
      servers.push(await startServer([dist('src/cli/main.js'), 'serve'], env));
    }
    const cpu0 = servers.map((s) => processCpu(s.child.pid!));
    const pg0 = cluster?.cpuSeconds() ?? 0;
    const results: LoadResult[] = await Promise.all(servers.map((s) => load(s.url, epr, Math.max(1, Math.round(connections / nodes)))));
    // CPU over the whole load run (warm-up included), scaled to the measured window: an estimate.
    const share = SECONDS / (SECONDS + WARMUP_S);
    const nodeCpu = servers.reduce((n, s, i) => n + processCpu(s.child.pid!) - cpu0[i]!, 0) * share;
    const pgCpu = ((cluster?.cpuSeconds() ?? 0) - pg0) * share;
    const eventsPerS = results.reduce((n, r) => n + r.events_per_s, 0);
    const events = eventsPerS * SECONDS;
    return {
      name,
      events_per_request: epr,
      connections,
      events_per_s: eventsPerS,
      requests_per_s: results.reduce((n, r) => n + r.requests_per_s, 0),
      p50_ms: Math.max(...results.map((r) => r.p50_ms)),
      p99_ms: Math.max(...results.map((r) => r.p99_ms)),
      all_2xx: results.every((r) => r.ok_requests === r.requests),
      node_cpu_us_per_event: events > 0 ? (nodeCpu / events) * 1e6 : NaN,
      pg_cpu_us_per_event: events > 0 ? (pgCpu / events) * 1e6 : NaN,
    };
  } finally {
    for (const s of servers) await stopServer(s.child);
  }
}

const work = mkdtempSync(join(tmpdir(), 'harmonizer-bench-pg-'));
const cluster = await startPgCluster();
try {
  console.log(`PostgreSQL ingest benchmark: ${SECONDS} s per run (after ${WARMUP_S} s warm-up), closed loop, random v4 event ids\n`);
  const runs: Run[] = [];
  for (const [epr, conns] of [[1, SINGLE_CONNECTIONS], [50, BATCH_CONNECTIONS]] as const) {
    runs.push(await run('sqlite, 1 node', null, 1, epr, conns, work));
    runs.push(await run('postgres, 1 node', cluster, 1, epr, conns, work));
    runs.push(await run('postgres, 2 nodes', cluster, 2, epr, conns, work));
  }
  console.log(table(
    ['store', 'events/req', 'connections', 'events/s', 'p50 ms', 'p99 ms', 'node CPU µs/event', 'postgres CPU µs/event', 'statuses'],
    runs.map((r) => [r.name, r.events_per_request, r.connections, Math.round(r.events_per_s), r.p50_ms.toFixed(2), r.p99_ms.toFixed(2), r.node_cpu_us_per_event.toFixed(1), r.pg_cpu_us_per_event.toFixed(1), r.all_2xx ? 'all 2xx' : 'errors']),
  ));
  console.log('');
  const ratios: Record<string, number> = {};
  for (const epr of [1, 50]) {
    const base = runs.find((r) => r.events_per_request === epr && r.name.startsWith('sqlite'))!;
    for (const r of runs.filter((x) => x.events_per_request === epr && x !== base)) {
      const key = `${r.name} / sqlite, ${epr} event(s) per beacon`;
      ratios[key] = r.events_per_s / base.events_per_s;
      console.log(`${key}: ${ratios[key]!.toFixed(2)}x the events/s`);
    }
  }
  const cores = 2;
  for (const r of runs.filter((x) => x.name.startsWith('postgres'))) {
    const total = r.node_cpu_us_per_event + r.pg_cpu_us_per_event;
    console.log(`${r.name}, ${r.events_per_request}/beacon: ${total.toFixed(1)} µs of CPU per event in all, so ${cores} cores cap it near ${Math.round((cores * 1e6) / total)} events/s`);
  }
  mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
  writeFileSync(join(projectRoot, 'bench', 'out', 'ingest-pg.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, runs, ratios }, null, 2));
} finally {
  cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
