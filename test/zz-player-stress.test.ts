/**
 * End to end in real headless Chromium: the player page against a real server (ingest + tracks + player
 * routes), the generated demo track, real Web Audio playback (to Chromium's null sink), beacons into SQLite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { dataPaths } from '../src/shared/config.js';
import { projectRoot } from '../src/shared/paths.js';
import { Store } from '../src/store/index.js';
import { generateDemoTrack } from '../src/demo/index.js';
import { encodeWav } from '../src/render/index.js';
import { registerTrackBytes, trackRoutes } from '../src/tracks/index.js';
import { AnalysisService } from '../src/analysis/service.js';
import { FEATURE_NAMES } from '../src/policy/features.js';
import { validateModelJson } from '../src/policy/model.js';
import { playerRoutes } from '../src/player/routes.js';
import { tempDir, testConfig } from './support/env.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'];
const MODEL_VERSION = '20261127T000000Z-e2etest0';

/** A valid model that prefers similar jumps (p(good) rises with similarity). */
function writeModel(path: string): void {
  const w = FEATURE_NAMES.length;
  const metric = { log_loss: 0.6, auc: 0.7, brier: 0.2, ece: 0.05 };
  const model = {
    version: MODEL_VERSION, created_at: '2026-11-27T00:00:00.000Z', feature_names: FEATURE_NAMES,
    mean: new Array(w).fill(0), std: new Array(w).fill(1),
    weights: FEATURE_NAMES.map((n) => (n === 'similarity' ? 3 : n === 'chroma_distance' ? -2 : 0)), bias: 0.5,
    metrics: { held_out: metric, baseline: metric, train: metric, k_folds: 5 },
    n_examples: 100, label_counts: { good: 50, meh: 20, bad: 30 }, data_hash: 'e2etest0', training_ms: 1, l2: 1, seed: 1,
  };
  validateModelJson(model);
  writeFileSync(path, JSON.stringify(model));
}

interface Row {
  event_id: string;
  session_id: string;
  policy_mode: string | null;
  model_version: string | null;
  propensity: number | null;
  candidates: unknown[] | null;
  context: Record<string, unknown> | null;
  source_index: number;
  target_index: number;
}

const parsed = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : ((v ?? null) as T | null));

describe('player page in headless Chromium', () => {
  let env: ReturnType<typeof tempDir>;
  let server: RunningServer;
  let store: Store;
  let analysis: AnalysisService;
  let browser: Browser;

  /** A session's stored events, merged or still in the ingest inbox (one JSON line per event there). */
  const eventsOf = (session: string): Row[] => {
    const merged = store.db.prepare('SELECT * FROM jump_events WHERE session_id = ?').all(session) as Record<string, unknown>[];
    const inbox = (store.db.prepare('SELECT line FROM jump_events_inbox').pluck().all() as string[])
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.session_id === session);
    return [...merged, ...inbox].map((e) => ({ ...e, candidates: parsed<unknown[]>(e.candidates), context: parsed<Record<string, unknown>>(e.context) }) as unknown as Row);
  };

  beforeAll(async () => {
    env = tempDir('harmonizer-player-');
    const config = testConfig(env.dir, { RL_POLICY_MODE: 'rl' });
    const paths = dataPaths(config);
    mkdirSync(env.dir, { recursive: true });
    writeModel(paths.model);
    store = Store.open(paths.db);
    const demo = generateDemoTrack({ durationS: 40 });
    const wav = encodeWav(demo.channels, demo.sampleRate);
    const row = await registerTrackBytes(store, paths.tracks, wav, { id: 'demo', title: 'Demo <i>track</i>', ext: '.wav' });
    analysis = new AnalysisService({ cacheDir: paths.analysis, threads: 1 });
    await analysis.get(row); // computed here (hook timeout), so the tests' clocks measure playback only
    server = await startServer(config, {
      inlineWriter: true,
      extraRoutes: (deps) => [...playerRoutes(), ...trackRoutes({ config, store: deps.store, analysis, writeStore: store })],
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await analysis?.close();
    store?.close();
    env?.cleanup();
  });

  const pageErrors = new Map<Page, string[]>();

  async function open(query: string, viewport = { width: 1000, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    pageErrors.set(page, errors);
    await page.goto(`${server.url}/?${query}`);
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}; page errors: ${errors.join('; ')}`);
    });
    return page;
  }

  it('stress', async () => {
    const page = await open('track=demo&autoplay=1&min_branch_chance=1&max_branch_chance=1', { width: 390, height: 844 });
    const errs = pageErrors.get(page)!;
    page.on('console', (m) => { if (m.type() === 'error') errs.push(m.text()); });
    for (let i = 0; i < 25; i++) {
      await page.waitForTimeout(50 + Math.random() * 600);
      const r = Math.random();
      if (r < 0.4) { await page.keyboard.press('Space'); await page.waitForTimeout(Math.random() * 300); await page.keyboard.press('Space'); }
      else if (r < 0.7) { await page.click('#track-load'); await page.waitForSelector('body[data-state="playing"]', { timeout: 10000 }); }
      else { await page.mouse.click(195 - 100 + Math.random() * 200, 150 + Math.random() * 40); }
      const st = await page.evaluate(() => [document.body.dataset.state, document.getElementById('status')?.textContent, document.getElementById('upload-status')?.textContent].join('|'));
      if (/Failed|overlap|error/i.test(st) || errs.some((e) => !/404/.test(e))) throw new Error(st + ' ' + errs.join(';'));
    }
  });
});
