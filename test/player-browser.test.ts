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

  /** A session's stored events, merged or still in the ingest inbox (one row of JSON lines per group commit there). */
  const eventsOf = (session: string): Row[] => {
    const merged = store.db.prepare('SELECT * FROM jump_events WHERE session_id = ?').all(session) as Record<string, unknown>[];
    const inbox = (store.db.prepare('SELECT lines FROM jump_events_inbox').pluck().all() as string[])
      .flatMap((lines) => lines.split('\n'))
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

  it('rl arm with logging on: plays, jumps, and beacons jump events with arm, propensity and candidates', async () => {
    const page = await open('rl=1&track=demo&autoplay=1&min_branch_chance=0.9&max_branch_chance=1');
    const session = await page.getAttribute('body', 'data-session');
    expect(await page.getAttribute('body', 'data-arm')).toBe('rl');
    expect(session).toBeTruthy();
    // The track title is user data: shown as text, never parsed as HTML.
    expect(await page.textContent('#now-title')).toBe('Demo <i>track</i>');
    expect(await page.locator('#now-title i').count()).toBe(0);

    // Wait (for the event, not a fixed sleep) until beats have really played and beacons have landed.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const beats = Number(await page.getAttribute('body', 'data-beats'));
      if (beats >= 40 && eventsOf(session!).length >= 3) break;
      await page.waitForTimeout(250);
    }
    const beats = Number(await page.getAttribute('body', 'data-beats'));
    const jumps = Number(await page.getAttribute('body', 'data-jumps'));
    expect(beats).toBeGreaterThanOrEqual(40); // the AudioContext clock really advanced (about 20 s at 120 BPM)
    expect(jumps).toBeGreaterThan(0);

    mkdirSync(join(projectRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'test-output', 'player.png') });

    // Pausing is a listener signal; hiding the page flushes the queue at once (no 5 s wait): then every
    // jump heard is stored, exactly once.
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-state="paused"]', { timeout: 5000 }).catch(async (err: Error) => {
      const state = await page.getAttribute('body', 'data-state');
      throw new Error(`${err.message}; state ${state}; page errors: ${pageErrors.get(page)?.join('; ')}`);
    });
    const heard = Number(await page.getAttribute('body', 'data-jumps'));
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    for (let t = 0; t < 30 && eventsOf(session!).length < heard; t++) await new Promise((r) => setTimeout(r, 50));
    expect(eventsOf(session!).length).toBe(heard);
    await page.close({ runBeforeUnload: true });

    const rows = eventsOf(session!);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const assigned = store.policy.get(session!);
    expect(assigned?.arm).toBe('rl');
    for (const r of rows) {
      expect(r.policy_mode).toBe('rl');
      expect(r.model_version).toBe(MODEL_VERSION);
      expect(r.propensity).toBeGreaterThan(0);
      expect(r.propensity).toBeLessThanOrEqual(1);
      const cands = r.candidates as { target_index: number; probability: number; features: Record<string, number>; p_good: number; chosen: boolean }[];
      expect(cands.length).toBeGreaterThan(0);
      expect(cands.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 9);
      const chosen = cands.find((c) => c.chosen)!;
      expect(chosen.target_index).toBe(r.target_index);
      expect(chosen.probability).toBeCloseTo(r.propensity!, 12);
      expect(typeof chosen.features.similarity).toBe('number');
      const ctx = r.context!;
      expect(typeof ctx.n_beats).toBe('number');
      expect(typeof ctx.chroma_distance).toBe('number');
    }

    // The pause went to the listener-signal endpoint, naming the jump it followed (when that endpoint is mounted).
    let listenerRoute = true;
    try {
      server.router.match('POST', '/api/rl/listener-event');
    } catch {
      listenerRoute = false;
    }
    if (listenerRoute) {
      const signals = store.db.prepare('SELECT * FROM listener_events WHERE session_id = ?').all(session) as { kind: string; after_jump_event_id: string | null; track_id: string }[];
      const pause = signals.find((x) => x.kind === 'pause');
      expect(pause?.track_id).toBe('demo');
      expect(rows.map((r) => r.event_id)).toContain(pause?.after_jump_event_id);
    }
  });

  it('logging off (the default): plays and jumps but sends no events; usable at phone width', async () => {
    const page = await open('track=demo&autoplay=1&min_branch_chance=1&max_branch_chance=1', { width: 390, height: 844 });
    const session = await page.getAttribute('body', 'data-session');
    expect(await page.getAttribute('body', 'data-logging')).toBe('0');
    await page.waitForFunction(() => Number(document.body.dataset.jumps) >= 2, undefined, { timeout: 20_000 });
    // No horizontal scrolling at phone width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(projectRoot, 'test-output', 'player-phone.png'), fullPage: true });

    // Pause / resume / seek (click on the circle) / reload in quick succession: no Web Audio automation error.
    const viz = (await page.locator('#viz').boundingBox())!;
    for (let k = 0; k < 6; k++) {
      await page.keyboard.press('Space');
      await page.waitForTimeout(40 + 60 * k);
      await page.keyboard.press('Space');
      await page.waitForSelector('body[data-state="playing"]', { timeout: 5000 }).catch(async (err: Error) => {
        const info = await page.evaluate(() => [document.body.dataset.state, document.activeElement?.id, document.getElementById('status')?.textContent].join(' | '));
        throw new Error(`${err.message} (round ${k}): ${info}; ${pageErrors.get(page)?.join('; ')}`);
      });
      await page.mouse.click(viz.x + viz.width * (0.3 + 0.1 * k), viz.y + viz.height * 0.09); // a beat near the top of the circle
      await page.waitForTimeout(30 * k);
      if (k % 3 === 2) {
        const loads = Number(await page.getAttribute('body', 'data-loads'));
        await page.click('#track-load');
        await page.waitForFunction((n) => Number(document.body.dataset.loads) > n && document.body.dataset.state === 'playing', loads);
        await page.evaluate(() => window.scrollTo(0, 0)); // the click scrolled: keep the canvas where it was measured
      }
    }
    expect(await page.textContent('#status')).not.toMatch(/error|failed|cannot/i);
    expect((pageErrors.get(page) ?? []).filter((e) => !/404/.test(e))).toEqual([]);

    // Upload (XMLHttpRequest with progress) of a held tone: registered, analysed (no beats), and played without jumps.
    const sr = 22050;
    const tone = new Float32Array(sr * 6).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / sr));
    await page.setInputFiles('#upload-file', { name: 'held tone.wav', mimeType: 'audio/wav', buffer: Buffer.from(encodeWav([tone], sr)) });
    await page
      .waitForFunction(() => document.getElementById('now-title')?.textContent === 'held tone' && document.body.dataset.state === 'playing', undefined, { timeout: 20_000 })
      .catch(async (err: Error) => {
        const info = await page.evaluate(() => [document.body.dataset.state, document.getElementById('now-title')?.textContent, document.getElementById('upload-status')?.textContent, document.getElementById('status')?.textContent, document.getElementById('analysis-status')?.textContent].join(' | '));
        throw new Error(`${err.message}: ${info}; page errors: ${pageErrors.get(page)?.join('; ')}`);
      });
    expect(await page.textContent('#analysis-status')).toContain('no beats');
    expect(store.tracks.list().map((t) => t.title)).toContain('held tone');
    await page.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsOf(session!)).toEqual([]);
  });
});
