import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSystem, type RunningSystem } from '../src/app/system.js';
import { bucketFor, chartOf, srmLevel } from '../src/dashboard/index.js';
import { queueChart } from '../src/dashboard/summary.js';
import { joinRewards } from '../src/learn/join.js';
import { encodeWav } from '../src/render/index.js';
import { projectRoot } from '../src/shared/paths.js';
import type { JumpEvent } from '../src/shared/jump-event.js';
import { Store, sqliteApi } from '../src/store/index.js';
import { makeEvent, tempDir, testConfig } from './support/env.js';
import { waitFor } from './support/wait.js';

const TOKEN = 'dashboard-token-42';
const NOW = Date.now();
const MIN = 60_000;

function event(id: string, arm: 'rl' | 'baseline', receivedAt: number, session: string): JumpEvent {
  return {
    event_id: id, session_id: session, track_id: 'demo', track_title: null, mode: 'jukebox',
    source_index: 1, target_index: 10, source_time: 0, target_time: 1, similarity: 0.9, span: 9, same_section: false,
    policy_mode: arm, model_version: 'cold-start', quality_score: null, propensity: 0.5,
    candidates: [
      { target_index: 10, features: { similarity: 0.9, span: 9 }, probability: 0.5, chosen: true },
      { target_index: 20, features: { similarity: 0.8, span: 19 }, probability: 0.5, chosen: false },
    ],
    settings: null, context: {}, client_ts: receivedAt, received_at: receivedAt,
  };
}

/**
 * A seeded store: 20 rl and 10 baseline jumps 30 minutes ago, 5 rl jumps 3 hours ago; labels on 12 rl
 * (8 good) and 6 baseline (2 good) jumps 30 minutes ago; a skewed split (200 rl sessions, 40 baseline,
 * each drawn with probability 0.5); two rendered clips, one of them labeled bad.
 */
async function seed(dir: string): Promise<void> {
  const store = Store.open(join(dir, 'rl.sqlite3'));
  try {
    const recent = NOW - 30 * MIN;
    const events = [
      ...Array.from({ length: 20 }, (_, i) => event(`rl-${i}`, 'rl', recent, `srl-${i % 4}`)),
      ...Array.from({ length: 10 }, (_, i) => event(`base-${i}`, 'baseline', recent, `sbase-${i % 2}`)),
      ...Array.from({ length: 5 }, (_, i) => event(`old-${i}`, 'rl', NOW - 180 * MIN, 'sold')),
    ];
    store.events.insertMany(events);
    const label = (id: string, l: 'good' | 'bad', who: string) => store.labels.upsert({ event_id: id, labeler: who, label: l, time_spent_ms: null, now: recent });
    for (let i = 0; i < 12; i++) label(`rl-${i}`, i < 8 ? 'good' : 'bad', 'ann');
    for (let i = 0; i < 6; i++) label(`base-${i}`, i < 2 ? 'good' : 'bad', 'bob');
    while ((await joinRewards(sqliteApi(store, 'test'), { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 1, implicitWeight: 1 }, NOW)).more);
    for (let i = 0; i < 240; i++) {
      store.policy.assignOnce({ session_id: `split-${i}`, arm: i < 200 ? 'rl' : 'baseline', probability: 0.5, mode: 'auto', eps: 0.1, model_version: null, reason: null, assigned_at: NOW - MIN });
    }
    // Two rendered clips: base-3 (labeled bad: the worst) and rl-0 (good).
    const snippets = join(dir, 'snippets');
    mkdirSync(snippets, { recursive: true });
    store.snippets.enqueueNew(NOW - 20 * MIN);
    const jobs = store.snippets.claim('test', 1000, NOW - 20 * MIN, 60_000);
    for (const id of ['base-3', 'rl-0']) {
      const path = join(snippets, `${id}.wav`);
      writeFileSync(path, encodeWav([new Float32Array(8000).map((_, k) => Math.sin(k / 5) * 0.3)], 8000));
      expect(jobs.some((j) => j.event_id === id)).toBe(true);
      store.snippets.complete(id, 'test', { path, duration_s: 1, splice_offset_s: 0.5, pre_s: 0.5, post_s: 0.5, crossfade_ms: 30, render_ms: 5 }, NOW - 10 * MIN);
    }
    store.snippets.releaseOwner('test', NOW - 10 * MIN);
  } finally {
    store.close();
  }
}

describe('dashboard helpers', () => {
  it('SRM levels as GrowthBook and Statsig show them', () => {
    expect([srmLevel(0.0005), srmLevel(0.005), srmLevel(0.2), srmLevel(null)]).toEqual(['red', 'amber', 'green', 'grey']);
  });
  it('buckets keep at most 200 points and charts put rows in their bucket, null elsewhere', () => {
    expect(bucketFor(3_600_000)).toBe(60_000);
    expect(bucketFor(86_400_000)).toBe(900_000);
    const c = chartOf([{ t: 120_000, key: 'a', n: 3, sum: 0 }], 0, 240_000, 60_000, (r) => r.n);
    expect(c.t).toEqual([0, 60, 120, 180, 240]);
    expect(c.series).toEqual([{ name: 'a', values: [null, null, 3, null, null] }]);
  });
  it('the snippet queue over time is walked back from the queue now', () => {
    // 5 queued in the first minute, 3 rendered in the second, 2 still waiting now.
    const q = queueChart([{ t: 0, key: 'enqueued', n: 5, sum: 0 }, { t: 60_000, key: 'rendered', n: 3, sum: 0 }], 2, 0, 120_000, 60_000);
    expect(q.series.map((s) => s.name)).toEqual(['rendered', 'failed', 'waiting']);
    expect(q.series[2]!.values).toEqual([5, 2, 2]);
  });
});

describe('the dashboard (real server, seeded store)', () => {
  const tmp = tempDir('harmonizer-dashboard-test-');
  let system: RunningSystem;
  let url: string;
  let browser: Browser;
  let page: Page;
  const api = (path: string, token: string | null = TOKEN) => fetch(`${url}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});

  beforeAll(async () => {
    // Migrate, seed, then start the server on the seeded file.
    Store.open(join(tmp.dir, 'rl.sqlite3')).close();
    await seed(tmp.dir);
    system = await startSystem(testConfig(tmp.dir, { RL_LABELER_TOKEN: TOKEN }), { learner: false });
    url = system.server.url;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    page.on('pageerror', (e) => console.error('page error:', e));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await system?.close();
    tmp.cleanup();
  });

  it('401 JSON without the token on every dashboard API path; 400 on a bad range; no CORS', async () => {
    for (const p of ['/api/rl/dashboard/summary', '/api/rl/dashboard/ope', '/api/rl/dashboard/audio/base-3']) {
      for (const t of [null, 'wrong-token-123']) {
        const r = await api(p, t);
        expect(r.status, `${p} ${t}`).toBe(401);
        expect(((await r.json()) as { code: string }).code).toBe('UNAUTHORIZED');
      }
    }
    const bad = await api('/api/rl/dashboard/summary?range=5y');
    expect(bad.status).toBe(400);
    const page = await fetch(`${url}/rl/dashboard`, { headers: { Origin: 'https://elsewhere.example' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('the bucketed series match hand-computed counts; the skewed split is red', async () => {
    const s = (await (await api('/api/rl/dashboard/summary?range=1h')).json()) as {
      bucket_ms: number;
      health: { id: string; level: string; value: string }[];
      rewards: { t: number[]; series: { name: string; values: (number | null)[] }[] };
      decisions_per_min: { t: number[]; series: { name: string; values: (number | null)[] }[] };
      labeling: { clips_waiting: number; per_labeler: Record<string, { total: number }> };
      worst: { event_id: string; reward: number }[];
    };
    expect(s.bucket_ms).toBe(60_000);
    const sum = (name: string, c: typeof s.decisions_per_min) => (c.series.find((x) => x.name === name)?.values ?? []).reduce<number>((a, v) => a + (v ?? 0), 0);
    // 1 h: the 3-hour-old jumps are out; per minute = count in the one-minute bucket.
    expect(sum('rl', s.decisions_per_min)).toBe(20);
    expect(sum('baseline', s.decisions_per_min)).toBe(10);
    const reward = (name: string) => s.rewards.series.find((x) => x.name === name)!.values.find((v) => v !== null);
    expect(reward('rl|label')).toBeCloseTo(8 / 12, 9);
    expect(reward('baseline|label')).toBeCloseTo(2 / 6, 9);
    const srm = s.health.find((h) => h.id === 'srm')!;
    expect(srm.level).toBe('red');
    expect(srm.value).toMatch(/baseline 40, rl 200/);
    expect(s.health.find((h) => h.id === 'store')!.level).toBe('green');
    expect(s.labeling.clips_waiting).toBe(0); // both rendered clips are labeled
    expect(Object.keys(s.labeling.per_labeler).sort()).toEqual(['ann', 'bob']);
    expect(s.worst.map((w) => [w.event_id, w.reward])).toEqual([['base-3', 0], ['rl-0', 1]]);
    const day = (await (await api('/api/rl/dashboard/summary?range=24h')).json()) as typeof s;
    expect(sum('rl', day.decisions_per_min) * (day.bucket_ms / 60_000)).toBeCloseTo(25, 9);
  });

  it('the page in Chromium: charts with the seeded data, the SRM alert, the range selector, live refresh, phone width', async () => {
    await page.goto(`${url}/rl/dashboard?token=${TOKEN}`);
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    await page.waitForFunction(() => (window as unknown as { __dashboard: { refreshes: number; ope: unknown } }).__dashboard.refreshes >= 1);
    type Debug = { summary: { range: string }; charts: Record<string, { series: string[]; data: (number | null)[][] }>; ope: { evaluations: unknown[] } | null };
    const debug = () => page.evaluate(() => (window as unknown as { __dashboard: Debug }).__dashboard);
    const points = (d: Debug, id: string) => (d.charts[id]?.data.slice(1) ?? []).flat().filter((v) => v !== null).length;
    let d = await debug();
    for (const id of ['chart-rewards', 'chart-decisions', 'chart-labels', 'chart-renders']) expect(points(d, id), id).toBeGreaterThan(0);
    expect(d.charts['chart-rewards']!.series).toEqual(expect.arrayContaining(['rl|label', 'baseline|label']));
    expect(await page.locator('#chart-rewards canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('.health[data-id="srm"]').getAttribute('data-level')).toBe('red');
    expect(await page.locator('#worst-table tr').count()).toBe(3);
    expect(await page.locator('#ope-table tr').count()).toBeGreaterThan(4);

    // Range: 24 h → 1 h changes the buckets.
    const before = d.charts['chart-decisions']!.data[0]!.length;
    await page.click('button[data-range="1h"]');
    await page.waitForFunction(() => (window as unknown as { __dashboard: Debug }).__dashboard.summary.range === '1h');
    d = await debug();
    expect(d.charts['chart-decisions']!.data[0]!.length).not.toBe(before);

    // Live: a new beacon shows up within a refresh, without reloading.
    const total = (x: Debug) => (x.charts['chart-decisions']!.data.slice(1) as (number | null)[][]).flat().reduce<number>((a, v) => a + (v ?? 0), 0);
    const was = total(d);
    const e = makeEvent({ policy_mode: 'rl', track_id: 'demo' });
    expect((await fetch(`${url}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(e) })).status).toBe(204);
    await waitFor(async () => total(await debug()) > was, 15_000);

    // A worst jump plays through the labeler's audio API.
    const audio = page.waitForResponse((r) => r.url().includes('/api/rl/dashboard/audio/base-3'));
    await page.click('#worst-table tr:nth-child(2) button.play');
    expect((await audio).status()).toBe(200);

    // test-output/ on every run; the README's docs/dashboard.png when asked (SCREENSHOTS=1 make test),
    // so a test run does not rewrite a tracked file.
    mkdirSync(join(projectRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, process.env.SCREENSHOTS === '1' ? 'docs' : 'test-output', 'dashboard.png'), fullPage: true });

    // Phone width: no sideways scrolling of the page, panels stacked.
    await page.setViewportSize({ width: 390, height: 900 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(392);
  });

  it('a wrong stored token goes back to the sign-in form', async () => {
    const p = await browser.newPage();
    await p.goto(`${url}/rl/dashboard?token=not-the-token`);
    await p.waitForSelector('#login:not([hidden])');
    expect(await p.locator('#login-error').textContent()).toMatch(/refused/);
    await p.close();
  });
});

describe('RL_DASHBOARD_TOKEN', () => {
  it('a dashboard token of its own: it opens the dashboard and the telemetry labeler names, the labeler token does not', async () => {
    const tmp = tempDir('harmonizer-dashboard-token-');
    const system = await startSystem(testConfig(tmp.dir, { RL_LABELER_TOKEN: 'labeler-token-1', RL_DASHBOARD_TOKEN: 'operator-token-2' }), { learner: false });
    try {
      const url = system.server.url;
      const get = (path: string, token: string) => fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      expect((await get('/api/rl/dashboard/summary', 'operator-token-2')).status).toBe(200);
      expect((await get('/api/rl/dashboard/summary', 'labeler-token-1')).status).toBe(401);
      expect(((await (await get('/api/rl/telemetry', 'operator-token-2')).json()) as { labels: object }).labels).toHaveProperty('per_labeler');
      expect(((await (await get('/api/rl/telemetry', 'labeler-token-1')).json()) as { labels: object }).labels).not.toHaveProperty('per_labeler');
      // A configured token is never printed in the URL.
      expect(system.dashboardUrl).toBe(`${url}/rl/dashboard`);
    } finally {
      await system.close();
      tmp.cleanup();
    }
  });
});

describe('the dashboard thread and its store', () => {
  it('reopens its store when the first open failed (the store was not there yet at start-up)', async () => {
    const { DashboardService } = await import('../src/dashboard/index.js');
    const t = tempDir();
    const db = join(t.dir, 'late.sqlite3');
    const service = new DashboardService({ store: { databaseUrl: undefined, dbPool: 2, paths: { db } } });
    const probes = { writable: true, diskFreeBytes: null, unavailableLastHour: 0, commitP99Seconds: null };
    try {
      await expect(service.summary('1h', probes, Date.now())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      Store.open(db).close(); // the store appears (a server migrated it)
      const s = await service.summary('1h', probes, Date.now());
      expect(s.range).toBe('1h');
      expect((await service.ope(Date.now())).decisions).toBe(0);
    } finally {
      await service.close();
      t.cleanup();
    }
  });
});
