/**
 * Dashboard refresh time on a large store (make bench-dashboard): a real server (startSystem, its HTTP
 * routes over a socket) on a store with EVENTS (1 000 000) jump events spread over 7 days, each with
 * a reward, a fifth of them labeled; the time of GET /api/rl/dashboard/summary for each range, against
 * GET /healthz (the same server and HTTP path, nearly no work) as the in-run baseline.
 * Target: a refresh (summary, any range) under 200 ms on this machine. The 1-hour range is computed
 * on every refresh; the longer ranges are snapshots kept a minute, so `first_ms` (the request that
 * computes one) is reported next to the median of the refreshes.
 * Writes bench/out/dashboard.json. DATA_DIR=… keeps (and reuses) the seeded store.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSystem } from '../src/app/system.js';
import { joinRewards } from '../src/learn/join.js';
import { loadConfig } from '../src/shared/config.js';
import { projectRoot } from '../src/shared/paths.js';
import { mulberry32 } from '../src/shared/prng.js';
import type { JumpEvent } from '../src/shared/jump-event.js';
import { Store, sqliteApi } from '../src/store/index.js';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const RUNS = 15;
const TOKEN = 'bench-dashboard-token';
const log = (s: string) => process.stderr.write(`${s}\n`);

async function seed(dir: string): Promise<void> {
  const store = Store.open(join(dir, 'rl.sqlite3'));
  const rand = mulberry32(7);
  const now = Date.now();
  const span = 7 * 86_400_000;
  const t0 = Date.now();
  try {
    const batch: JumpEvent[] = [];
    const flush = () => {
      store.events.insertMany(batch);
      batch.length = 0;
    };
    for (let i = 0; i < EVENTS; i++) {
      const at = now - span + Math.floor((i / EVENTS) * span);
      const arm = rand() < 0.2 ? 'baseline' : 'rl';
      batch.push({
        event_id: `ev-${i}`, session_id: `s-${Math.floor(i / 40)}`, track_id: 'demo', track_title: null, mode: 'jukebox',
        source_index: 1, target_index: 10, source_time: 0, target_time: 1, similarity: 0.9, span: 9, same_section: false,
        policy_mode: arm, model_version: 'cold-start', quality_score: null, propensity: 0.5,
        candidates: [
          { target_index: 10, features: { similarity: 0.9, span: 9 }, probability: 0.5, chosen: true },
          { target_index: 20, features: { similarity: 0.8, span: 19 }, probability: 0.5, chosen: false },
        ],
        settings: null, context: {}, client_ts: at, received_at: at,
      });
      if (batch.length === 10_000) flush();
    }
    flush();
    log(`seeded ${EVENTS} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // One transaction per 10 000 labels (one per label would spend minutes on commits).
    for (let from = 0; from < EVENTS; from += 50_000) {
      store.transaction(() => {
        for (let i = from; i < Math.min(EVENTS, from + 50_000); i += 5) {
          store.labels.upsert({ event_id: `ev-${i}`, labeler: i % 10 === 0 ? 'ann' : 'bob', label: rand() < 0.5 ? 'good' : 'bad', time_spent_ms: null, now: now - span + Math.floor((i / EVENTS) * span) });
        }
      });
    }
    log(`labeled ${EVENTS / 5} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Every reward decidable: the events are old, no signals; labels replace the implicit reward.
    while ((await joinRewards(sqliteApi(store, 'bench'), { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 1, implicitWeight: 1 }, now + 120_000, { batch: 50_000 })).more);
    log(`joined rewards in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    store.close();
  }
}

async function timeGet(url: string, headers: Record<string, string>): Promise<{ first_ms: number; median_ms: number; p90_ms: number }> {
  const ms: number[] = [];
  let first = NaN;
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    if (i === 0) first = performance.now() - t;
    if (i >= 2) ms.push(performance.now() - t); // two warm-up requests
  }
  ms.sort((a, b) => a - b);
  return { first_ms: first, median_ms: ms[Math.floor(ms.length / 2)]!, p90_ms: ms[Math.floor(ms.length * 0.9)]! };
}

async function main(): Promise<void> {
  // DATA_DIR=… keeps the seeded store there (and reuses it on the next run).
  const keep = process.env.DATA_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'harmonizer-bench-dashboard-'));
  try {
    if (!keep || !existsSync(join(dir, 'rl.sqlite3'))) {
      mkdirSync(dir, { recursive: true });
      await seed(dir);
    }
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', RL_DATA_DIR: dir, RL_LABELER_TOKEN: TOKEN });
    const system = await startSystem(config, { learner: false });
    try {
      const auth = { Authorization: `Bearer ${TOKEN}` };
      const base = system.server.url;
      const healthz = await timeGet(`${base}/healthz`, {});
      // While the dashboard thread computes a 7-day snapshot, the server keeps answering: /healthz
      // latency during that request.
      const during: number[] = [];
      let busy = true;
      const heavy = fetch(`${base}/api/rl/dashboard/summary?range=7d`, { headers: auth }).then(async (r) => {
        await r.arrayBuffer();
        busy = false;
      });
      while (busy) {
        const t = performance.now();
        await (await fetch(`${base}/healthz`)).arrayBuffer();
        during.push(performance.now() - t);
      }
      await heavy;
      const healthzDuring = { requests: during.length, max_ms: Math.max(...during), median_ms: during.sort((a, b) => a - b)[Math.floor(during.length / 2)]! };
      log(`healthz while a 7-day snapshot is computed: ${during.length} requests, median ${healthzDuring.median_ms.toFixed(1)} ms, max ${healthzDuring.max_ms.toFixed(1)} ms`);
      await new Promise((r) => setTimeout(r, 61_000)); // let that snapshot expire: the range loop measures its own
      const ranges: Record<string, { first_ms: number; median_ms: number; p90_ms: number }> = {};
      for (const r of ['1h', '24h', '7d', 'all']) {
        ranges[r] = await timeGet(`${base}/api/rl/dashboard/summary?range=${r}`, auth);
        log(`summary ${r}: first ${ranges[r]!.first_ms.toFixed(0)} ms, then median ${ranges[r]!.median_ms.toFixed(1)} ms, p90 ${ranges[r]!.p90_ms.toFixed(1)} ms (healthz ${healthz.median_ms.toFixed(2)} ms)`);
      }
      const t = performance.now();
      await (await fetch(`${base}/api/rl/dashboard/ope`, { headers: auth })).arrayBuffer();
      const opeFirst = performance.now() - t;
      const ope = await timeGet(`${base}/api/rl/dashboard/ope`, auth);
      const result = { date: new Date().toISOString(), events: EVENTS, healthz, healthz_during_snapshot: healthzDuring, summary: ranges, ope: { first_ms: opeFirst, cached: ope } };
      mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
      writeFileSync(join(projectRoot, 'bench', 'out', 'dashboard.json'), JSON.stringify(result, null, 2));
      console.log(JSON.stringify(result, null, 2));
    } finally {
      await system.close();
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
