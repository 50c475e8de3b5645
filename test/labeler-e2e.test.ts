import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { openLabeler, type Labeler } from '../src/labeler/index.js';
import { Store } from '../src/store/index.js';
import { seedClips } from '../src/labeler/fixtures.js';
import { projectRoot } from '../src/shared/paths.js';
import { tempDir, testConfig } from './support/env.js';

/**
 * The labeler page end to end in real headless Chromium (Debian's, never a downloaded one): sign
 * in, see the waveform, label with the keyboard, and check SQLite after every step. The page's
 * bundle is built from the current sources into the temp dir, so the test never runs a stale one.
 */
const TOKEN = 'e2e-token-abcdefgh';
const NAME = 'Zoë <tester>';
const EVIL = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> & done`;

describe('labeler page in headless Chromium', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RunningServer;
  let labeler: Labeler;
  /** A read-only connection of the test's own, to check what the labeler stored. */
  let db: Store;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = tempDir();
    const pub = join(tmp.dir, 'public');
    await build({
      entryPoints: [join(projectRoot, 'src', 'labeler', 'browser', 'main.ts')],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      outfile: join(pub, 'labeler.js'),
      logLevel: 'warning',
    });
    const config = testConfig(tmp.dir, { RL_LABELER_TOKEN: TOKEN });
    labeler = await openLabeler(config, { publicDir: pub });
    server = await startServer(config, { inlineWriter: true, extraRoutes: () => labeler.routes });
    db = Store.open(config.paths.db, { readonly: true });
    await seedClips(
      labeler.store,
      join(tmp.dir, 'snippets'),
      Array.from({ length: 6 }, (_, i) => ({ event_id: `clip-${i}`, withReference: true, track_title: `Song ${i}` })),
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    page.on('pageerror', (e) => console.error('page error:', e));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db?.close();
    await labeler?.close();
    tmp?.cleanup();
  });

  const body = (key: string) => page.evaluate((k) => document.body.dataset[k] ?? '', key);
  const labels = () =>
    db.db.prepare('SELECT event_id, labeler, label, notes, time_spent_ms FROM labels ORDER BY id').all() as {
      event_id: string; labeler: string; label: string; notes: string | null; time_spent_ms: number | null;
    }[];
  /** Presses a key and waits until the page has finished the action it started (no sleeps). */
  async function press(key: string): Promise<void> {
    const before = Number(await body('actions'));
    await page.keyboard.press(key);
    await page.waitForFunction((n) => Number(document.body.dataset.actions) > n, before);
  }

  it('sign in, waveform, g m b s u and a note, with the rows in SQLite after each step', async () => {
    await page.goto(`${server.url}/rl/labeler`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-token', TOKEN);
    await page.fill('#login-name', NAME);
    await page.click('#login-form button[type=submit]');
    // Signed in, first clip drawn, and the start-up load finished (keys pressed during an action are dropped).
    await page.waitForFunction(() => document.body.dataset.state === 'app' && !!document.body.dataset.waveform && Number(document.body.dataset.actions) >= 1);

    // The waveform is drawn: many pixels in the waveform colour on the canvas.
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('wave') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2]! > 200 && d[i]! < 150) n++;
      return { n, total: d.length / 4 };
    });
    expect(drawn.n).toBeGreaterThan(drawn.total * 0.05);
    expect(await page.textContent('#track-title')).toMatch(/^Title of track-a$/);
    expect(await page.textContent('#me-name')).toBe(NAME);
    // The clip plays by itself; space pauses it, space again resumes.
    await page.waitForFunction(() => {
      const a = document.getElementById('audio') as HTMLAudioElement;
      return !a.paused && a.currentTime > 0;
    });
    await page.keyboard.press(' ');
    expect(await page.evaluate(() => (document.getElementById('audio') as HTMLAudioElement).paused)).toBe(true);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => !(document.getElementById('audio') as HTMLAudioElement).paused);

    const decided: string[] = [];
    for (const [key, value] of [['g', 'good'], ['m', 'meh'], ['b', 'bad']] as const) {
      const clip = await body('eventId');
      await press(key);
      decided.push(clip);
      expect(labels().at(-1)).toMatchObject({ event_id: clip, labeler: NAME, label: value, notes: null });
      expect(labels().at(-1)!.time_spent_ms).toBeGreaterThanOrEqual(0);
      expect(await body('eventId')).not.toBe(clip);
    }
    expect(labels().map((l) => l.event_id)).toEqual(decided);
    expect(await page.textContent('#count-session')).toBe('3');

    // s: a skip, not a label.
    const skipped = await body('eventId');
    await press('s');
    expect(labels()).toHaveLength(3);
    expect(db.db.prepare('SELECT event_id FROM label_skips WHERE labeler = ?').pluck().all(NAME)).toEqual([skipped]);
    expect(await body('eventId')).not.toBe(skipped);

    // u: the last label (the "bad" one) is removed and its clip is back on screen.
    await press('u');
    expect(labels().map((l) => l.event_id)).toEqual(decided.slice(0, 2));
    expect(await body('eventId')).toBe(decided[2]);
    expect(await page.textContent('#count-session')).toBe('2');

    // n, type a note with markup, Enter keeps it, g saves it with the label.
    await page.keyboard.press('n');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('notes');
    await page.keyboard.type(EVIL);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('notes');
    await press('g');
    expect(labels().at(-1)).toMatchObject({ event_id: decided[2], label: 'good', notes: EVIL });

    // The note shows as text in the recent decisions: no element injected, no script run.
    await page.waitForFunction((id) => document.querySelector('#recent-list li')?.getAttribute('data-event-id') === id, decided[2]);
    expect(await page.textContent('#recent-list li .note')).toBe(EVIL);
    expect(await page.$$eval('#recent-list img, #recent-list script', (els) => els.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.$$eval('#recent-list li', (els) => els.length)).toBe(3);

    // Editing a recent decision in place: click "bad" on the first one.
    const before = Number(await body('actions'));
    await page.click(`#recent-list li[data-event-id="${decided[0]}"] button.lab-bad`);
    await page.waitForFunction((n) => Number(document.body.dataset.actions) > n, before);
    expect(labels().find((l) => l.event_id === decided[0])).toMatchObject({ label: 'bad' });

    // a: the reference clip (A/B), and back.
    await press('a');
    expect(await page.textContent('#t-source')).toMatch(/reference/);
    await press('a');
    expect(await page.textContent('#t-source')).toBe('jump clip');
    await page.keyboard.press(']');
    expect(await page.textContent('#t-rate')).toBe('1.25×');

    mkdirSync(join(projectRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'test-output', 'labeler.png'), fullPage: true });
  });

  it('?token= in the URL is stored and removed from the address bar; a wrong token goes back to sign-in', async () => {
    const p = await browser.newPage();
    await p.goto(`${server.url}/rl/labeler?token=${TOKEN}&x=1`);
    await p.evaluate((n) => localStorage.setItem('harmonizer.labeler.name', n), NAME);
    await p.goto(`${server.url}/rl/labeler?token=${TOKEN}&x=1`);
    await p.waitForFunction(() => document.body.dataset.state === 'app');
    expect(new URL(p.url()).search).toBe('?x=1');
    expect(await p.evaluate(() => localStorage.getItem('harmonizer.labeler.token'))).toBe(TOKEN);
    await p.goto(`${server.url}/rl/labeler?token=wrong-token`);
    await p.waitForFunction(() => document.body.dataset.state === 'login');
    expect(await p.textContent('#login-error')).toMatch(/invalid labeler token/);
    await p.close();
  });

  it('renews the open clip\'s lease every 30 s, and stops after 10 minutes', async () => {
    const p = await browser.newPage();
    await p.clock.install();
    const leases: string[] = [];
    p.on('request', (r) => {
      if (r.url().endsWith('/api/rl/labeler/lease')) leases.push(JSON.parse(r.postData() ?? '{}').event_id);
    });
    await p.goto(`${server.url}/rl/labeler?token=${TOKEN}`);
    await p.evaluate(() => localStorage.setItem('harmonizer.labeler.name', 'renewer'));
    await p.goto(`${server.url}/rl/labeler?token=${TOKEN}`);
    await p.waitForFunction(() => document.body.dataset.state === 'app' && !!document.body.dataset.waveform);
    const clip = await p.evaluate(() => document.body.dataset.eventId!);
    const held = () => db.db.prepare('SELECT labeler FROM label_leases WHERE event_id = ?').pluck().get(clip);
    expect(held()).toBe('renewer');
    const renewed = p.waitForResponse((r) => r.url().endsWith('/api/rl/labeler/lease') && r.status() === 200);
    await p.clock.runFor(31_000);
    await renewed;
    expect(leases.length).toBeGreaterThanOrEqual(1);
    expect(new Set(leases)).toEqual(new Set([clip]));
    expect(held()).toBe('renewer');
    // Left open for more than 10 minutes: the page stops renewing.
    await p.clock.fastForward(11 * 60_000);
    await p.clock.runFor(1000);
    const count = leases.length;
    await p.clock.runFor(61_000);
    expect(leases.length).toBe(count);
    await p.close();
  });
});
