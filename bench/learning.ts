/**
 * Learning claims, measured (make bench-learning): seeded simulations with a known ground truth.
 *  1. Per built-in taste and seed 1..TASTE_SEEDS (3), `simulate` with 20 000 decisions (the whole command
 *     path: real server, renders, labeler API, learner thread): the share of the baseline → oracle gap the
 *     bandit closes over the last half (target ≥ 70 %), against the old logistic ranking on the same
 *     decisions; per taste the mean over the seeds with the lowest and highest.
 *  2. Coverage: 20 seeds of a shorter run; how often each policy's 95 % doubly-robust interval covers its
 *     true value (target ≥ 90 %).
 *  3. Learner throughput on one worker: the server's learner thread (join + ridge updates + publishing
 *     through the gate) on a store with 20 000 decisions and their listener signals (target ≥ 2 000
 *     rewards/s), with the time the same thread takes for the join alone as the in-run baseline.
 * Writes bench/out/learning.json and the regret chart docs/regret.png (drawn by headless Chromium).
 * DECISIONS=… SEEDS=… COVERAGE_DECISIONS=… shorten it; TASTES=smooth,loyal picks tastes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LearnerService } from '../src/learn/index.js';
import { joinRewards } from '../src/learn/join.js';
import { rulesFromConfig } from '../src/learn/rewards.js';
import { loadConfig } from '../src/shared/config.js';
import { projectRoot } from '../src/shared/paths.js';
import { mulberry32 } from '../src/shared/prng.js';
import type { JumpEvent, ListenerSignal } from '../src/shared/jump-event.js';
import { Store, sqliteApi } from '../src/store/index.js';
import { ARMS, BUILT_IN_TASTES, runSimulation, type SimReport } from '../src/sim/index.js';

const DECISIONS = Number(process.env.DECISIONS ?? 20_000);
const SEEDS = Number(process.env.SEEDS ?? 20);
/** Seeds per built-in taste for the gap (one seed's figure depends on which early version is promoted). */
const TASTE_SEEDS = Number(process.env.TASTE_SEEDS ?? 3);
const COVERAGE_DECISIONS = Number(process.env.COVERAGE_DECISIONS ?? 3000);
/** PARTS=learner (or tastes, coverage, comma-separated) runs only those parts. */
const PARTS = new Set((process.env.PARTS ?? 'learner,tastes,coverage').split(','));
const log = (s: string) => process.stderr.write(`${s}\n`);

/** One 20 000-decision run per taste and seed; seed 1 draws the chart. */
async function tastes(): Promise<{ taste: string; seed: number; report: SimReport }[]> {
  const out: { taste: string; seed: number; report: SimReport }[] = [];
  for (const t of BUILT_IN_TASTES.filter((x) => !process.env.TASTES || process.env.TASTES.split(',').includes(x.name))) {
    for (let seed = 1; seed <= TASTE_SEEDS; seed++) {
      const report = await runSimulation({ decisions: DECISIONS, seed, taste: t, labelRate: 0.2, mode: 'rl' });
      const g = report.gap_closed_last_half;
      log(`taste ${t.name} seed ${seed}: gap closed bandit ${(100 * (g.rl ?? 0)).toFixed(1)} %, logistic ${(100 * (g.logistic ?? 0)).toFixed(1)} % in ${report.elapsed_s.toFixed(0)} s`);
      out.push({ taste: t.name, seed, report });
    }
  }
  return out;
}

/** Per taste: the gap closed by each learned arm over the seeds (mean, min, max). */
function gapSummary(runs: { taste: string; report: SimReport }[]): Record<string, Record<'rl' | 'logistic', { mean: number; min: number; max: number }>> {
  const out: Record<string, Record<'rl' | 'logistic', { mean: number; min: number; max: number }>> = {};
  for (const t of new Set(runs.map((r) => r.taste))) {
    const of = (arm: 'rl' | 'logistic') => {
      const v = runs.filter((r) => r.taste === t).map((r) => r.report.gap_closed_last_half[arm] ?? NaN);
      return { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v) };
    };
    out[t] = { rl: of('rl'), logistic: of('logistic') };
  }
  return out;
}

async function coverage(): Promise<{ seeds: number; decisions: number; rows: { policy: string; kind: string; covered: number; runs: number }[] }> {
  const tally = new Map<string, { covered: number; runs: number }>();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await runSimulation({ decisions: COVERAGE_DECISIONS, seed, taste: BUILT_IN_TASTES[seed % BUILT_IN_TASTES.length]!, labelRate: 0.2, mode: 'rl' });
    for (const o of r.ope.filter((x) => x.estimator === 'dr')) {
      const k = `${o.policy}|${o.kind}`;
      const t = tally.get(k) ?? { covered: 0, runs: 0 };
      t.runs++;
      if (o.covered) t.covered++;
      tally.set(k, t);
    }
    log(`coverage seed ${seed}: ${r.ope.filter((x) => x.estimator === 'dr' && x.covered).length}/${r.ope.filter((x) => x.estimator === 'dr').length} DR intervals cover the truth`);
  }
  return { seeds: SEEDS, decisions: COVERAGE_DECISIONS, rows: [...tally].map(([k, v]) => ({ policy: k.split('|')[0]!, kind: k.split('|')[1]!, ...v })) };
}

/** A store with `n` logged bandit decisions (jump + dwell) in sessions of 50, and a seek after every fourth. */
function seedStore(dir: string, n: number): void {
  const store = Store.open(join(dir, 'rl.sqlite3'));
  const rand = mulberry32(1);
  // Received 30 s ago: past the settle time (20 s), within the grace period: every reward is decidable now.
  const receivedAt = Date.now() - 30_000;
  const events: JumpEvent[] = [];
  const signals: ListenerSignal[] = [];
  for (let i = 0; i < n; i++) {
    const k = 2 + Math.floor(rand() * 3);
    const chosen = Math.floor(rand() * k);
    const session = `s${Math.floor(i / 50)}`;
    const t = 1_000_000 + (i % 50) * 4000;
    const id = `e${String(i).padStart(7, '0')}`;
    events.push({
      event_id: id, session_id: session, track_id: 'demo', track_title: null, mode: 'jukebox', source_index: 1, target_index: 100 + chosen,
      source_time: 0, target_time: 1, similarity: 0.9, span: 8, same_section: true, policy_mode: 'rl', model_version: 'cold-start', quality_score: null, propensity: 1 / k,
      candidates: Array.from({ length: k }, (_, c) => ({ target_index: 100 + c, features: { similarity: 0.8 + 0.05 * c, span: 8 * (c + 1), same_section: c % 2 === 0, timbre_distance: rand() * 3, loudness_delta_db: rand() * 2, onset_mismatch: rand() * 0.3 }, probability: 1 / k, chosen: c === chosen })),
      settings: null,
      context: { dwell: { index: 2, bars: 2, beats: 8, probabilities: [0.2, 0.2, 0.2, 0.2, 0.2], scores: [0, 0, 0, 0, 0], propensity: 0.2, policy_version: 'cold-start' } },
      client_ts: t, received_at: receivedAt,
    });
    if (i % 4 === 0) signals.push({ signal_id: `g${i}`, session_id: session, track_id: 'demo', kind: 'seek', position_s: 1, beat_index: 1, after_jump_event_id: id, ms_since_jump: 800, policy_mode: 'rl', client_ts: t + 800, received_at: receivedAt });
    // The listener leaves after the last jump's window: every decision of the session resolves.
    if (i % 50 === 49 || i === n - 1) signals.push({ signal_id: `l${i}`, session_id: session, track_id: 'demo', kind: 'leave', position_s: 1, beat_index: 1, after_jump_event_id: null, ms_since_jump: null, policy_mode: 'rl', client_ts: t + 12_000, received_at: receivedAt });
  }
  store.events.insertMany(events);
  store.transaction(() => signals.forEach((s) => store.events.insertSignal(s)));
  store.close();
}

async function throughput(): Promise<{ decisions: number; entries: number; seconds: number; rewards_per_s: number; join_only_seconds: number; published: number }> {
  const n = 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'harmonizer-bench-learn-'));
  try {
    seedStore(dir, n);
    const config = loadConfig({ RL_DATA_DIR: dir });
    const t0 = performance.now();
    const svc = await LearnerService.start(config, { tickMs: 5 });
    let s = svc.status().status;
    for (let t = performance.now(); !s || s.applied < 2 * n; ) {
      if (performance.now() - t > 300_000) throw new Error(`learner stuck at ${s?.applied ?? 0} of ${2 * n} entries`);
      await new Promise((r) => setTimeout(r, 5));
      s = svc.status().status;
    }
    const seconds = (performance.now() - t0) / 1000;
    const published = s.published;
    await svc.close();
    // Baseline in the same run: the join alone (no learning, no publishing) on a fresh copy of the data.
    const dir2 = mkdtempSync(join(tmpdir(), 'harmonizer-bench-join-'));
    seedStore(dir2, n);
    const store = Store.open(loadConfig({ RL_DATA_DIR: dir2 }).paths.db);
    const t1 = performance.now();
    const api = sqliteApi(store, 'bench');
    while ((await joinRewards(api, rulesFromConfig(config), Date.now())).more);
    const joinOnly = (performance.now() - t1) / 1000;
    store.close();
    rmSync(dir2, { recursive: true, force: true });
    return { decisions: n, entries: s.applied, seconds, rewards_per_s: s.applied / seconds, join_only_seconds: joinOnly, published };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COLORS: Record<string, string> = { baseline: '#9aa0ab', rl: '#ffb347', logistic: '#58a6ff', oracle: '#3fb950' };

/** Cumulative regret per arm for each taste, as an SVG page, screenshot to PNG by Chromium. */
async function chart(runs: { taste: string; report: SimReport }[], path: string): Promise<void> {
  const W = 360;
  const H = 240;
  const panels = runs.map(({ taste, report }, p) => {
    const max = Math.max(...ARMS.map((a) => Math.max(...report.arms[a].cumulative_regret)), 1);
    const lines = ARMS.map((a) => {
      const c = report.arms[a].cumulative_regret;
      const pts = [[0, 0], ...c.map((v, i) => [((i + 1) / c.length) * (W - 50), v])].map(([x, y]) => `${40 + x!},${H - 30 - (y! / max) * (H - 60)}`).join(' ');
      return `<polyline fill="none" stroke="${COLORS[a]}" stroke-width="2.5" points="${pts}"/>`;
    }).join('');
    const g = report.gap_closed_last_half;
    return `<svg x="${p * (W + 10)}" y="0" width="${W}" height="${H}">
      <rect width="${W}" height="${H}" fill="#1f232b" rx="8"/>
      <text x="12" y="20" fill="#e8e8ea" font-size="13">${taste}: bandit closes ${(100 * (g.rl ?? 0)).toFixed(0)} % of the gap, logistic ${(100 * (g.logistic ?? 0)).toFixed(0)} %</text>
      <line x1="40" y1="${H - 30}" x2="${W - 10}" y2="${H - 30}" stroke="#555"/><line x1="40" y1="30" x2="40" y2="${H - 30}" stroke="#555"/>
      <text x="44" y="42" fill="#9aa0ab" font-size="11">${max.toFixed(0)}</text>
      <text x="${W - 110}" y="${H - 12}" fill="#9aa0ab" font-size="11">${report.decisions} decisions</text>
      <text x="6" y="${H / 2}" fill="#9aa0ab" font-size="11" transform="rotate(-90 12 ${H / 2})">cumulative regret</text>
      ${lines}</svg>`;
  });
  const legend = ARMS.map((a, i) => `<text x="${10 + i * 120}" y="${H + 24}" fill="${COLORS[a]}" font-size="14">■ ${a === 'rl' ? 'bandit (rl)' : a}</text>`).join('');
  const width = runs.length * (W + 10);
  const html = `<!doctype html><body style="margin:0;background:#15171c;font-family:sans-serif"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 36}">${panels.join('')}${legend}</svg></body>`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width, height: H + 36 } });
    await page.setContent(html);
    await page.screenshot({ path });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const learner = await throughput();
  if (!PARTS.has('tastes')) {
    console.log(JSON.stringify(learner, null, 2));
    return;
  }
  log(`learner: ${learner.entries} reward-log entries in ${learner.seconds.toFixed(2)} s = ${learner.rewards_per_s.toFixed(0)} rewards/s on one worker (join alone ${learner.join_only_seconds.toFixed(2)} s), ${learner.published} versions published`);
  const runs = await tastes();
  const cov = await coverage();
  const result = {
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    date: new Date().toISOString(),
    learner,
    gap_closed: gapSummary(runs),
    tastes: runs.map(({ taste, seed, report }) => ({
      taste,
      seed,
      decisions: report.decisions,
      elapsed_s: report.elapsed_s,
      gap_closed_last_half: report.gap_closed_last_half,
      last_half: Object.fromEntries(ARMS.map((a) => [a, report.arms[a].true_reward_last_half])),
      regret: Object.fromEntries(ARMS.map((a) => [a, report.arms[a].regret])),
      dwell_last_half: Object.fromEntries(ARMS.map((a) => [a, report.arms[a].dwell_true_reward_last_half])),
      cumulative_regret: Object.fromEntries(ARMS.map((a) => [a, report.arms[a].cumulative_regret])),
      learner: report.learner,
      dr: report.ope.filter((o) => o.estimator === 'dr'),
    })),
    coverage: cov,
  };
  mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
  writeFileSync(join(projectRoot, 'bench', 'out', 'learning.json'), JSON.stringify(result, null, 2));
  await chart(runs.filter((r) => r.seed === 1), join(projectRoot, 'docs', 'regret.png'));
  console.log(JSON.stringify({ learner: result.learner, gap_closed: result.gap_closed, tastes: result.tastes.map((t) => ({ taste: t.taste, seed: t.seed, gap: t.gap_closed_last_half, elapsed_s: t.elapsed_s, active: t.learner })), coverage: cov.rows }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
