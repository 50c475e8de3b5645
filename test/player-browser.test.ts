/**
 * End to end in real headless Chromium: the player page against a real server (ingest + tracks + player
 * routes), the generated demo track, real Web Audio playback (to Chromium's null sink), beacons into SQLite.
 *
 * Two servers, each in its own data dir: RL_POLICY_MODE rl (every session on the contextual bandit, here
 * the served cold-start policy) and RL_POLICY_MODE shadow (the baseline acts, the bandit is logged beside it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './support/wait.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { dataPaths } from '../src/shared/config.js';
import { projectRoot } from '../src/shared/paths.js';
import { Store, sqliteApi } from '../src/store/index.js';
import { generateDemoTrack } from '../src/demo/index.js';
import { encodeWav } from '../src/render/index.js';
import { registerTrackBytes, trackRoutes } from '../src/tracks/index.js';
import { AnalysisService } from '../src/analysis/service.js';
import { playerRoutes } from '../src/player/routes.js';
import { tempDir, testConfig } from './support/env.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'];
/** The dwell actions in bars (src/bandit/actions.ts DWELL_BARS), spelled out: the test pins the logged meaning. */
const DWELL_BARS = [0, 1, 2, 4, 8];
/** The demo track's meter: dwell beats = bars × 4. */
const METER = 4;
/** RL_BANDIT_FLOOR's default. */
const FLOOR = 0.01;

interface Candidate {
  target_index: number;
  probability: number;
  score: number | null;
  p_good: number | null;
  chosen: boolean;
  features: Record<string, number>;
}

interface BanditLog {
  index: number;
  probabilities: number[];
  scores: number[];
  propensity: number;
}

interface DwellLog extends BanditLog {
  bars: number;
  beats: number;
  policy_version: string;
}

interface Row {
  event_id: string;
  session_id: string;
  policy_mode: string | null;
  model_version: string | null;
  propensity: number | null;
  candidates: Candidate[] | null;
  context: Record<string, unknown> | null;
  source_index: number;
  target_index: number;
  client_ts: number;
}

const parsed = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : ((v ?? null) as T | null));
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** A bandit decision's probabilities: a distribution over `k` actions, each at least the floor, uniform under the cold start. */
function expectExactDistribution(d: BanditLog, k: number, floor: number, uniform: boolean): void {
  expect(d.probabilities).toHaveLength(k);
  expect(d.scores).toHaveLength(k);
  expect(Math.abs(sum(d.probabilities) - 1)).toBeLessThanOrEqual(1e-9);
  if (k > 1) for (const p of d.probabilities) expect(p).toBeGreaterThanOrEqual(floor);
  if (uniform) for (const p of d.probabilities) expect(Math.abs(p - 1 / k)).toBeLessThanOrEqual(1e-12);
  expect(Number.isInteger(d.index) && d.index >= 0 && d.index < k).toBe(true);
  expect(d.propensity).toBe(d.probabilities[d.index]);
}

function expectDwell(d: DwellLog | undefined, policyVersion: string, floor: number, uniform: boolean): void {
  expect(d, 'dwell decision logged').toBeDefined();
  expectExactDistribution(d!, DWELL_BARS.length, floor, uniform);
  expect(d!.bars).toBe(DWELL_BARS[d!.index]);
  expect(d!.beats).toBe(d!.bars * METER);
  expect(d!.policy_version).toBe(policyVersion);
}

interface ServedPolicy {
  version: string;
  exploration: { floor: number };
}

/** A server (inline writer, ingest + player + track routes) in its own data dir, the demo track analysed, and Chromium. */
class Harness {
  env!: ReturnType<typeof tempDir>;
  server!: RunningServer;
  store!: Store;
  analysis!: AnalysisService;
  browser!: Browser;
  readonly pageErrors = new Map<Page, string[]>();

  static async start(env: Record<string, string>): Promise<Harness> {
    const h = new Harness();
    h.env = tempDir('harmonizer-player-');
    const config = testConfig(h.env.dir, env);
    const paths = dataPaths(config);
    mkdirSync(h.env.dir, { recursive: true });
    h.store = Store.open(paths.db);
    const demo = generateDemoTrack({ durationS: 40 });
    const wav = encodeWav(demo.channels, demo.sampleRate);
    // The harness's writable connection through the store's interface (the tracks routes register uploads with it).
    const store = sqliteApi(h.store, paths.db);
    const row = await registerTrackBytes(store, paths.tracks, wav, { id: 'demo', title: 'Demo <i>track</i>', ext: '.wav' });
    h.analysis = new AnalysisService({ cacheDir: paths.analysis, threads: 1 });
    await h.analysis.get(row); // computed here (hook timeout), so the tests' clocks measure playback only
    const analysis = h.analysis;
    h.server = await startServer(config, {
      inlineWriter: true,
      extraRoutes: () => [...playerRoutes(), ...trackRoutes({ config, store, analysis })],
    });
    h.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    return h;
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.server?.close();
    await this.analysis?.close();
    this.store?.close();
    this.env?.cleanup();
  }

  /** A session's stored events, merged or still in the ingest inbox (one row of JSON lines per group commit there), in the order heard. */
  eventsOf(session: string): Row[] {
    const merged = this.store.db.prepare('SELECT * FROM jump_events WHERE session_id = ?').all(session) as Record<string, unknown>[];
    const inbox = (this.store.db.prepare('SELECT lines FROM jump_events_inbox').pluck().all() as string[])
      .flatMap((lines) => lines.split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.session_id === session);
    return [...merged, ...inbox]
      .map((e) => ({ ...e, candidates: parsed<Candidate[]>(e.candidates), context: parsed<Record<string, unknown>>(e.context) }) as unknown as Row)
      .sort((a, b) => a.client_ts - b.client_ts);
  }

  async servedPolicy(): Promise<ServedPolicy> {
    const r = await fetch(`${this.server.url}/api/rl/policy-model`);
    expect(r.status).toBe(200);
    return (await r.json()) as ServedPolicy;
  }

  async open(query: string, viewport = { width: 1000, height: 900 }): Promise<Page> {
    const page = await this.browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    this.pageErrors.set(page, errors);
    await page.goto(`${this.server.url}/?${query}`);
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}; page errors: ${errors.join('; ')}`);
    });
    return page;
  }

  /** Waits (for the event, not a fixed sleep) until beats have really played and `minEvents` beacons have landed. */
  async playUntil(page: Page, session: string, minBeats: number, minEvents: number, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const beats = Number(await page.getAttribute('body', 'data-beats'));
      if (beats >= minBeats && this.eventsOf(session).length >= minEvents) return;
      await page.waitForTimeout(250);
    }
  }

  /** Pauses (a listener signal), then hides the page, which flushes the queue at once (no 5 s wait): every jump heard is stored, exactly once. */
  async pauseAndFlush(page: Page, session: string): Promise<number> {
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-state="paused"]', { timeout: 5000 }).catch(async (err: Error) => {
      const state = await page.getAttribute('body', 'data-state');
      throw new Error(`${err.message}; state ${state}; page errors: ${this.pageErrors.get(page)?.join('; ')}`);
    });
    const heard = Number(await page.getAttribute('body', 'data-jumps'));
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    for (let t = 0; t < 30 && this.eventsOf(session).length < heard; t++) await new Promise((r) => setTimeout(r, 50));
    expect(this.eventsOf(session).length).toBe(heard);
    return heard;
  }
}

describe('player page in headless Chromium (RL_POLICY_MODE rl: the contextual bandit)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ RL_POLICY_MODE: 'rl' });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('rl arm with logging on: plays, jumps and dwells by the bandit, and beacons exact propensities for both decisions', { timeout: 120_000 }, async () => {
    const served = await h.servedPolicy();
    expect(served.version).toBe('cold-start'); // no learner has promoted a policy in this data dir
    expect(served.exploration.floor).toBe(FLOOR);

    const page = await h.open('rl=1&track=demo&autoplay=1&min_branch_chance=0.9&max_branch_chance=1');
    const session = await page.getAttribute('body', 'data-session');
    expect(await page.getAttribute('body', 'data-arm')).toBe('rl');
    expect(await page.getAttribute('body', 'data-policy-version')).toBe(served.version);
    expect(session).toBeTruthy();
    // The track title is user data: shown as text, never parsed as HTML.
    expect(await page.textContent('#now-title')).toBe('Demo <i>track</i>');
    expect(await page.locator('#now-title i').count()).toBe(0);

    // The bandit dwells after each jump (0..8 bars, uniform at the cold start), so jumps are sparser than
    // the branch chance alone would make them.
    await h.playUntil(page, session!, 40, 3);
    const beats = Number(await page.getAttribute('body', 'data-beats'));
    const jumps = Number(await page.getAttribute('body', 'data-jumps'));
    expect(beats).toBeGreaterThanOrEqual(40); // the AudioContext clock really advanced (about 20 s at 120 BPM)
    expect(jumps).toBeGreaterThan(0);

    mkdirSync(join(projectRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'test-output', 'player.png') });

    // The pause counts as a reaction to the last jump only within AFTER_JUMP_WINDOW_MS of hearing it, and a
    // dwell can keep the next jump 16 s away: pause right after a fresh jump is heard, whatever the load.
    const heardSoFar = Number(await page.getAttribute('body', 'data-jumps'));
    await page.waitForFunction((n) => Number(document.body.dataset.jumps) > n, heardSoFar, { timeout: 40_000, polling: 50 });
    await h.pauseAndFlush(page, session!);
    // While paused: a click on the beat circle's bottom (half-way through the track) seeks, a listener
    // signal; then the page hides again, which flushes it.
    const box = (await page.locator('#viz').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height * 0.92);
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    const dropped = Number(await page.textContent('#c-dropped'));
    const errors = h.pageErrors.get(page) ?? [];
    await page.close({ runBeforeUnload: true });

    const rows = h.eventsOf(session!);
    expect(rows.length, `events: ${JSON.stringify(rows)}; page errors: ${errors.join('; ')}`).toBeGreaterThanOrEqual(3);
    const assigned = h.store.policy.get(session!);
    expect(assigned?.arm).toBe('rl');
    for (const r of rows) {
      const where = `event ${JSON.stringify(r)}`;
      expect(r.policy_mode, where).toBe('rl');
      expect(r.model_version, where).toBe(served.version);
      const cands = r.candidates!;
      expect(cands.length, where).toBeGreaterThan(0);
      const probs = cands.map((c) => c.probability);
      expect(Math.abs(sum(probs) - 1), where).toBeLessThanOrEqual(1e-9);
      if (cands.length > 1) for (const p of probs) expect(p, where).toBeGreaterThanOrEqual(FLOOR);
      // The cold start scores every candidate 0, so SquareCB is uniform, and the floor keeps uniform uniform.
      for (const p of probs) expect(Math.abs(p - 1 / cands.length), where).toBeLessThanOrEqual(1e-12);
      for (const c of cands) {
        expect(c.score, where).toBe(0);
        expect(typeof c.features.similarity, where).toBe('number');
      }
      const chosen = cands.filter((c) => c.chosen);
      expect(chosen, where).toHaveLength(1);
      expect(chosen[0].target_index, where).toBe(r.target_index);
      expect(r.propensity, where).toBe(chosen[0].probability); // exactly the probability the draw used
      const ctx = r.context!;
      expect(typeof ctx.n_beats, where).toBe('number');
      expect(typeof ctx.chroma_distance, where).toBe('number');
      expect(ctx.shadow, where).toBeUndefined();
      expectDwell(ctx.dwell as DwellLog | undefined, served.version, FLOOR, true);
    }

    // The dwell is acted on: after a jump that dwelt D beats, the next random branch comes at least D + 1
    // beats after the jump's target (checked where the play between them was linear and nothing was dropped).
    if (dropped === 0) {
      for (let i = 1; i < rows.length; i++) {
        const prev = rows[i - 1];
        const next = rows[i];
        if (next.context?.trigger !== 'random' || next.source_index <= prev.target_index) continue;
        const dwell = prev.context!.dwell as DwellLog;
        expect(next.source_index - prev.target_index, `dwell ${JSON.stringify(dwell)} then ${JSON.stringify(next)}`).toBeGreaterThan(dwell.beats);
      }
    }

    // The pause went to the listener-signal endpoint, naming the jump it followed (when that endpoint is mounted).
    let listenerRoute = true;
    try {
      h.server.router.match('POST', '/api/rl/listener-event');
    } catch {
      listenerRoute = false;
    }
    if (listenerRoute) {
      // The signal travels in its own beacon, flushed on hide: it may land after the jump events.
      const pause = await waitFor(() => {
        const signals = h.store.db.prepare('SELECT * FROM listener_events WHERE session_id = ?').all(session) as { kind: string; after_jump_event_id: string | null; track_id: string }[];
        return signals.find((x) => x.kind === 'pause') ?? null;
      }, 10_000).catch(() => undefined);
      expect(pause?.track_id).toBe('demo');
      expect(rows.map((r) => r.event_id)).toContain(pause?.after_jump_event_id);

      // The seek made while paused reports where playback then stood, not 0.
      const seek = await waitFor(() => (h.store.db.prepare("SELECT position_s FROM listener_events WHERE session_id = ? AND kind = 'seek'").get(session) as { position_s: number } | undefined) ?? null, 10_000);
      expect(seek.position_s).toBeGreaterThan(1);
    }
  });

  it('logging off (the default): plays and jumps but sends no events; usable at phone width', { timeout: 120_000 }, async () => {
    const page = await h.open('track=demo&autoplay=1&min_branch_chance=1&max_branch_chance=1', { width: 390, height: 844 });
    const session = await page.getAttribute('body', 'data-session');
    expect(await page.getAttribute('body', 'data-logging')).toBe('0');
    // The second jump waits out the first one's dwell (up to 8 bars = 16 s at 120 BPM).
    await page.waitForFunction(() => Number(document.body.dataset.jumps) >= 2, undefined, { timeout: 40_000 });
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
        throw new Error(`${err.message} (round ${k}): ${info}; ${h.pageErrors.get(page)?.join('; ')}`);
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
    expect((h.pageErrors.get(page) ?? []).filter((e) => !/404/.test(e))).toEqual([]);

    // Upload (XMLHttpRequest with progress) of a held tone: registered, analysed (no beats), and played without jumps.
    const sr = 22050;
    const tone = new Float32Array(sr * 6).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / sr));
    await page.setInputFiles('#upload-file', { name: 'held tone.wav', mimeType: 'audio/wav', buffer: Buffer.from(encodeWav([tone], sr)) });
    await page
      .waitForFunction(() => document.getElementById('now-title')?.textContent === 'held tone' && document.body.dataset.state === 'playing', undefined, { timeout: 20_000 })
      .catch(async (err: Error) => {
        const info = await page.evaluate(() => [document.body.dataset.state, document.getElementById('now-title')?.textContent, document.getElementById('upload-status')?.textContent, document.getElementById('status')?.textContent, document.getElementById('analysis-status')?.textContent].join(' | '));
        throw new Error(`${err.message}: ${info}; page errors: ${h.pageErrors.get(page)?.join('; ')}`);
      });
    expect(await page.textContent('#analysis-status')).toContain('no beats');
    expect(h.store.tracks.list().map((t) => t.title)).toContain('held tone');
    await page.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.eventsOf(session!)).toEqual([]);
  });
});

describe('player page in headless Chromium (RL_POLICY_MODE shadow: the baseline acts, the bandit is logged)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ RL_POLICY_MODE: 'shadow' });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('baseline arm: beacons baseline jumps with the bandit\'s jump and dwell choices beside them, never acted on', { timeout: 120_000 }, async () => {
    const served = await h.servedPolicy();
    expect(served.version).toBe('cold-start');

    const page = await h.open('rl=1&track=demo&autoplay=1&min_branch_chance=0.9&max_branch_chance=1');
    const session = await page.getAttribute('body', 'data-session');
    expect(session).toBeTruthy();
    expect(await page.getAttribute('body', 'data-arm')).toBe('baseline');
    expect(await page.getAttribute('body', 'data-policy-version')).toBe(served.version); // the shadow bandit was fetched
    const assignment = (await (await fetch(`${h.server.url}/api/rl/policy?session_id=${encodeURIComponent(session!)}`)).json()) as { arm: string; mode: string; shadow: boolean };
    expect(assignment).toMatchObject({ arm: 'baseline', mode: 'shadow', shadow: true });

    // The baseline does not dwell: at this branch chance it jumps at nearly every beat.
    await h.playUntil(page, session!, 16, 3);
    await h.pauseAndFlush(page, session!);
    const errors = h.pageErrors.get(page) ?? [];
    await page.close({ runBeforeUnload: true });

    const rows = h.eventsOf(session!);
    expect(rows.length, `page errors: ${errors.join('; ')}`).toBeGreaterThanOrEqual(3);
    expect(h.store.policy.get(session!)?.arm).toBe('baseline');
    for (const r of rows) {
      const where = `event ${JSON.stringify(r)}`;
      expect(r.policy_mode, where).toBe('baseline');
      expect(r.propensity, where).toBe(1);
      const cands = r.candidates!;
      expect(cands.length, where).toBeGreaterThan(0);
      const chosen = cands.filter((c) => c.chosen);
      expect(chosen, where).toHaveLength(1);
      expect(chosen[0].target_index, where).toBe(r.target_index);
      for (const c of cands) expect(c.probability, where).toBe(c.chosen ? 1 : 0);
      const ctx = r.context!;
      expect(ctx.dwell, where).toBeUndefined(); // the baseline does not dwell
      const shadow = ctx.shadow as { policy_version: string; jump: BanditLog; dwell?: DwellLog } | undefined;
      expect(shadow, where).toBeDefined();
      expect(shadow!.policy_version, where).toBe(served.version);
      expectExactDistribution(shadow!.jump, cands.length, FLOOR, true);
      expectDwell(shadow!.dwell, served.version, FLOOR, true);
    }
  });
});
