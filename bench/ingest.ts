/**
 * Ingest benchmark (`make bench-ingest`): one load generator drives three servers in one run:
 * this server, a bare uWebSockets.js server that only answers 204 (the ceiling), and a naive
 * node:http + better-sqlite3 server committing each request on its own. Prints events/s, p50,
 * p99 and the ratios, and writes bench/out/ingest.json.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/shared/paths.js';
import { SECONDS, dist, load, withServer, type LoadResult } from './support/servers.js';
import { table } from '../src/telemetry/format.js';
import { Store } from '../src/store/index.js';
import { MERGE_CHUNK } from '../src/ingest/commit.js';
import { validateEvent } from '../src/ingest/validate.js';
import { stagedEvent } from '../src/shared/jump-event.js';
import { randomUUID } from 'node:crypto';

/**
 * Concurrent connections of the single-event runs. Every connection keeps one request in flight
 * (closed loop), so throughput is at most connections / latency: at 64 the durable servers are
 * bound by their commit latency, at 256 (many browsers) by CPU. Both are reported.
 */
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '64,256').split(',').map(Number);
const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 16);

/**
 * The inbox merge rate: what sustained ingest slows to once the inbox backlog bound is reached.
 * Stages rounds of events (random v4 ids, in 100-event batches) and merges each round into a
 * growing jump_events with the writer's chunk size, on the writer's own settings.
 */
function measureMerge(dir: string, rounds = 3, perRound = 300_000): { rows_before: number; events_per_s: number }[] {
  const store = Store.open(join(dir, 'merge.sqlite3'), { cacheMb: 256, synchronous: 'NORMAL' });
  const event = () => {
    const r = validateEvent(
      { event_id: randomUUID(), session_id: `s${Math.floor(Math.random() * 1000)}`, track_id: 'demo', mode: 'jukebox', source_index: 1, target_index: 2, source_time: 1.5, target_time: 3.5, similarity: 0.8, policy_mode: 'rl', propensity: 0.4, candidates: [{ target_index: 1, p: 0.4 }, { target_index: 9, p: 0.6 }], settings: { crossfade_ms: 30 }, context: { bar_position_match: 1 }, client_ts: Date.now() },
      0,
      Date.now(),
    );
    if (!r.ok) throw new Error('bench event is invalid');
    return stagedEvent(r.event);
  };
  const out: { rows_before: number; events_per_s: number }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      store.transaction(() => {
        for (let i = 0; i < perRound / 100; i++) {
          const es = Array.from({ length: 100 }, event);
          store.events.stageBatch(es.map((e) => e.line).join('\n'), es.length, es[0]!.received_at);
        }
      });
      const rowsBefore = store.events.count();
      const t0 = performance.now();
      const merged = store.events.mergeAll(MERGE_CHUNK);
      out.push({ rows_before: rowsBefore, events_per_s: merged / ((performance.now() - t0) / 1000) });
    }
  } finally {
    store.close();
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'harmonizer-bench-'));
try {
  const results: Record<string, LoadResult> = {};
  console.log(`ingest benchmark: ${SECONDS} s per run (after 1 s warm-up), random v4 event ids, closed loop (one request in flight per connection)\n`);
  const rows: (string | number)[][] = [];
  const row = (name: string, conns: number, r: LoadResult, epr: number) =>
    rows.push([name, conns, epr, Math.round(r.requests_per_s), Math.round(r.events_per_s), r.p50_ms.toFixed(2), r.p99_ms.toFixed(2), r.ok_requests === r.requests ? 'all 2xx' : JSON.stringify(r.statuses)]);
  const ratios: Record<string, { of_ceiling: number; vs_naive: number; p99_ms: number }> = {};
  for (const c of CONNECTIONS) {
    const bare = (results[`bare_1_c${c}`] = await withServer([dist('bench/support/bare-uws.js')], {}, (u) => load(u, 1, c)));
    const h = (results[`harmonizer_1_c${c}`] = await withServer([dist('src/cli/main.js'), 'serve'], { PORT: '0', RL_DATA_DIR: join(work, `h1-${c}`) }, (u) => load(u, 1, c)));
    const naive = (results[`naive_1_c${c}`] = await withServer([dist('bench/support/naive-server.js'), join(work, `naive-${c}.sqlite3`)], {}, (u) => load(u, 1, c)));
    row('bare uWS (ceiling)', c, bare, 1);
    row('harmonizer', c, h, 1);
    row('naive http+sqlite', c, naive, 1);
    ratios[`c${c}`] = { of_ceiling: h.requests_per_s / bare.requests_per_s, vs_naive: h.events_per_s / naive.events_per_s, p99_ms: h.p99_ms };
  }
  const batch = (results[`harmonizer_50_c${BATCH_CONNECTIONS}`] = await withServer([dist('src/cli/main.js'), 'serve'], { PORT: '0', RL_DATA_DIR: join(work, 'h50') }, (u) => load(u, 50, BATCH_CONNECTIONS)));
  row('harmonizer', BATCH_CONNECTIONS, batch, 50);

  console.log(table(['server', 'connections', 'events/req', 'requests/s', 'events/s', 'p50 ms', 'p99 ms', 'statuses'], rows));
  console.log('');
  for (const c of CONNECTIONS) {
    const r = ratios[`c${c}`]!;
    console.log(`single-event beacons, ${c} connections: ${(r.of_ceiling * 100).toFixed(1)} % of the bare-uWS ceiling (target >= 60 %), ${r.vs_naive.toFixed(1)}x the naive server (target >= 20x), p99 ${r.p99_ms.toFixed(2)} ms (target <= 20 ms)`);
  }
  console.log(`50-event beacons, ${BATCH_CONNECTIONS} connections: ${Math.round(batch.events_per_s)} events/s (target >= 300000)`);
  const merge = measureMerge(work);
  console.log(
    `inbox merge into jump_events (random ids, chunks of ${MERGE_CHUNK}): ` +
      merge.map((m) => `${Math.round(m.events_per_s)} events/s at ${m.rows_before} rows`).join(', '),
  );
  mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
  writeFileSync(join(projectRoot, 'bench', 'out', 'ingest.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, batch_connections: BATCH_CONNECTIONS, results, ratios, merge }, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
