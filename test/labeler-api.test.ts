import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store, sqliteApi, type StoreApi } from '../src/store/index.js';
import { Router } from '../src/http/router.js';
import { buffered } from '../src/http/files.js';
import type { HttpRequest, HttpResponse } from '../src/http/types.js';
import { labelerRoutes, LEASE_MS, type LabelerDeps } from '../src/labeler/index.js';
import { seedClips, seedWav, type SeedClip } from '../src/labeler/fixtures.js';
import { FEATURE_NAMES } from '../src/policy/features.js';
import { buildLabelReport } from '../src/telemetry/report.js';
import { formatLabels } from '../src/telemetry/format.js';
import { tempDir, testConfig } from './support/env.js';

/** The labeler API through the router, without a socket; the clock is injected. */
const TOKEN = 'test-token-0123456789';
const API = '/api/rl/labeler';

function request(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string | null; name?: string | null } = {}): HttpRequest {
  const url = new URL(path, 'http://x');
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== null) headers['authorization'] = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.name !== null && opts.name !== undefined) headers['x-labeler-name'] = encodeURIComponent(opts.name);
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    params: {},
    body: opts.body === undefined ? new Uint8Array(0) : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)),
  };
}

const bodyOf = (r: HttpResponse) => JSON.parse(String(r.body));

describe('labeler API', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  /** The same connection through the store's interface, as the labeler takes it. */
  let api: StoreApi;
  let router: Router;
  let clock: number;
  let snippetsDir: string;
  let extra: Partial<LabelerDeps>;

  const mount = (env: Record<string, string> = {}, more: Partial<LabelerDeps> = {}) => {
    const config = testConfig(tmp.dir, { RL_LABELER_TOKEN: TOKEN, ...env });
    router = new Router(labelerRoutes({ config, store: api, token: TOKEN, now: () => clock, model: { get: () => null }, ...extra, ...more }));
  };
  const seed = (clips: SeedClip[]) => seedClips(api, snippetsDir, clips);
  const ids = (n: number, prefix = 'ev') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const call = (method: string, path: string, opts: Parameters<typeof request>[2] = {}) => router.handle(request(method, path, opts)).then(buffered);
  const next = async (name: string, query = '') => {
    const r = await call('GET', `${API}/next${query}`, { name });
    expect(r.status, String(r.body)).toBe(200);
    return bodyOf(r) as { clip: { event_id: string } | null; remaining: number; order: string; order_note?: string };
  };
  const label = (name: string, event_id: string, value: string, notes?: string) =>
    call('POST', `${API}/label`, { name, body: { event_id, label: value, ...(notes === undefined ? {} : { notes }) } });
  const rows = () => store.db.prepare('SELECT event_id, labeler, label, notes FROM labels ORDER BY id').all() as { event_id: string; labeler: string; label: string; notes: string | null }[];

  beforeEach(() => {
    tmp = tempDir();
    snippetsDir = join(tmp.dir, 'snippets');
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    api = sqliteApi(store, join(tmp.dir, 'rl.sqlite3'));
    clock = 1_800_000_000_000;
    extra = {};
    mount();
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('RL_LABELER_TOKENS: a per-labeler token names its labeler whatever X-Labeler-Name says; the shared token only when set', async () => {
    await seed([{ event_id: 'p1' }, { event_id: 'p2' }, { event_id: 'p3' }]);
    const tokens = 'ann:tok-ann-1234,bob:tok-bob-5678';
    mount({ RL_LABELER_TOKENS: tokens });
    const bob = await call('POST', `${API}/label`, { token: 'tok-bob-5678', name: 'ann', body: { event_id: 'p1', label: 'good' } });
    expect(bob.status, String(bob.body)).toBe(200);
    const me = bodyOf(await call('GET', `${API}/me`, { token: 'tok-bob-5678', name: 'mallory' }));
    expect(me.labeler).toBe('bob');
    // RL_LABELER_TOKEN is set in these tests: the shared token still works, with the self-declared name.
    expect((await call('POST', `${API}/label`, { name: 'carol', body: { event_id: 'p2', label: 'bad' } })).status).toBe(200);
    expect(rows().map((r) => [r.event_id, r.labeler])).toEqual([['p1', 'bob'], ['p2', 'carol']]);
    // ... but not as a labeler who has a token of their own.
    const posing = await call('POST', `${API}/label`, { name: 'ann', body: { event_id: 'p3', label: 'bad' } });
    expect(posing.status).toBe(403);
    expect(bodyOf(posing)).toMatchObject({ code: 'FORBIDDEN', error: expect.stringMatching(/its own token/) });
    // Without RL_LABELER_TOKEN, per-labeler tokens are the only way in (the generated token is the operator's).
    router = new Router(labelerRoutes({ config: testConfig(tmp.dir, { RL_LABELER_TOKENS: tokens }), store: api, token: TOKEN, now: () => clock, model: { get: () => null } }));
    const shared = await call('POST', `${API}/label`, { name: 'carol', body: { event_id: 'p3', label: 'bad' } });
    expect(shared.status).toBe(401);
    expect((await call('POST', `${API}/label`, { token: 'tok-ann-1234', body: { event_id: 'p3', label: 'meh' } })).status).toBe(200);
    expect(rows().at(-1)).toMatchObject({ event_id: 'p3', labeler: 'ann' });
    expect((await call('GET', `${API}/me`, { token: 'tok-ann-12345' })).status).toBe(401);
  });

  it('401 with a JSON message on every API and audio route without the right token; the page itself is public', async () => {
    await seed([{ event_id: 'a1', withReference: true }]);
    const routes: [string, string, unknown?][] = [
      ['GET', `${API}/next`],
      ['POST', `${API}/label`, { event_id: 'a1', label: 'good' }],
      ['POST', `${API}/skip`, { event_id: 'a1' }],
      ['POST', `${API}/lease`, { event_id: 'a1' }],
      ['POST', `${API}/undo`, {}],
      ['GET', `${API}/recent`],
      ['GET', `${API}/me`],
      ['GET', `${API}/audio/a1`],
      ['GET', `${API}/audio/a1/reference`],
    ];
    for (const [method, path, body] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { 'x-labeler-token': TOKEN.slice(0, -1) }, { authorization: TOKEN }]) {
        const r = await router.handle(request(method, path, { token: null, name: 'ann', headers, body }));
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(bodyOf(r)).toMatchObject({ code: 'UNAUTHORIZED', error: expect.stringMatching(/token/) });
      }
    }
    expect(rows()).toEqual([]);
    // Both header forms work.
    expect((await router.handle(request('GET', `${API}/audio/a1`, { token: null, headers: { 'x-labeler-token': TOKEN } }))).status).toBe(200);
    expect((await router.handle(request('GET', `${API}/audio/a1`, { token: null, headers: { authorization: `bearer ${TOKEN}` } }))).status).toBe(200);
    const page = await router.handle(request('GET', '/rl/labeler', { token: null }));
    expect(page.status).toBe(200);
    expect(page.headers?.['Content-Security-Policy']).toMatch(/script-src 'self'/);
    expect(page.headers?.['Referrer-Policy']).toBe('no-referrer');
    expect(String(page.body)).toContain('<script type="module" src="/rl/labeler/app.js">');
  });

  it('requires the labeler name (400 naming it)', async () => {
    await seed([{ event_id: 'a1' }]);
    const r = await call('GET', `${API}/next`);
    expect(r.status).toBe(400);
    expect(bodyOf(r).error).toMatch(/labeler is required/);
    expect((await call('GET', `${API}/next`, { name: '   ' })).status).toBe(400);
    expect((await call('GET', `${API}/next`, { name: 'x'.repeat(65) })).status).toBe(400);
    // From the body too, and non-ASCII names survive the percent-encoded header.
    const viaBody = await call('POST', `${API}/label`, { body: { labeler: 'Zoë', event_id: 'a1', label: 'meh' } });
    expect(viaBody.status).toBe(200);
    expect((await call('GET', `${API}/recent`, { name: 'Zoë' })).body).toContain('a1');
  });

  it('two labelers never receive the same clip while a lease holds; a lease expires after 2 minutes', async () => {
    await seed(ids(2).map((event_id) => ({ event_id })));
    const a = await next('ann');
    const b = await next('bob');
    expect(a.clip).not.toBeNull();
    expect(b.clip).not.toBeNull();
    expect(b.clip!.event_id).not.toBe(a.clip!.event_id);
    expect((await next('cy')).clip).toBeNull(); // both leased
    const t0 = clock;
    clock += 1000;
    // Asking again returns the clip one already holds (a reload does not lose it) and renews the lease.
    expect((await next('ann')).clip!.event_id).toBe(a.clip!.event_id);
    clock = t0 + LEASE_MS - 1;
    expect((await next('cy')).clip).toBeNull();
    clock = t0 + LEASE_MS; // bob's lease expires now; ann's runs 1 s longer
    const c = await next('cy');
    expect(c.clip!.event_id).toBe(b.clip!.event_id);
    expect((await next('dan')).clip).toBeNull();
  });

  it('lease renewal keeps a long listen\'s clip; a lapsed lease is taken back unless another labeler took it (409)', async () => {
    await seed(ids(2).map((event_id) => ({ event_id })));
    const a = (await next('ann')).clip!.event_id;
    const lease = (name: string, event_id: string) => call('POST', `${API}/lease`, { name, body: { event_id } });
    // Renewed every 30 s for 5 minutes: nobody else gets the clip meanwhile.
    for (let k = 0; k < 10; k++) {
      clock += 30_000;
      const r = await lease('ann', a);
      expect(r.status, String(r.body)).toBe(200);
      expect(bodyOf(r)).toEqual({ event_id: a, expires_at: clock + LEASE_MS });
      const other = (await next('bob')).clip;
      expect(other?.event_id).not.toBe(a);
    }
    // bob holds the other clip; ann's lease lapses and cy takes ann's clip: ann's renewal is a 409.
    const b = (await next('bob')).clip!.event_id;
    clock += LEASE_MS;
    await lease('bob', b);
    expect((await next('cy')).clip!.event_id).toBe(a);
    const lost = await lease('ann', a);
    expect(lost.status).toBe(409);
    expect(bodyOf(lost).code).toBe('CONFLICT');
    // A lapsed lease nobody took is taken back, and the labeler's other lease is released.
    clock += LEASE_MS;
    expect((await lease('ann', b)).status).toBe(200);
    expect((await lease('ann', a)).status).toBe(200);
    expect((await next('bob')).clip!.event_id).toBe(b);
    // Unknown or malformed ids: 404 / 400.
    expect((await lease('ann', 'nope')).status).toBe(404);
    expect((await lease('ann', '../x')).status).toBe(400);
  });

  it('many labelers against few clips: every clip handed out at most once at a time', async () => {
    await seed(ids(7).map((event_id) => ({ event_id })));
    const got = [];
    for (let i = 0; i < 10; i++) got.push((await next(`l${i}`)).clip?.event_id ?? null);
    const handed = got.filter((x) => x !== null);
    expect(handed.length).toBe(7);
    expect(new Set(handed).size).toBe(7);
  });

  it('RL_LABELS_PER_CLIP: a clip goes to further labelers until it has enough labels; latest label of a labeler wins', async () => {
    mount({ RL_LABELS_PER_CLIP: '2' });
    await seed([{ event_id: 'only' }]);
    expect((await next('ann')).clip!.event_id).toBe('only');
    expect((await label('ann', 'only', 'good', 'first')).status).toBe(200);
    expect((await next('ann')).clip).toBeNull(); // ann has labeled it
    expect((await next('bob')).clip!.event_id).toBe('only');
    expect((await label('bob', 'only', 'bad')).status).toBe(200);
    expect((await next('cy')).clip).toBeNull(); // two labels: done
    // ann changes her mind: still one row for her, her notes kept when none are sent.
    expect((await label('ann', 'only', 'meh')).status).toBe(200);
    expect(rows()).toEqual([
      { event_id: 'only', labeler: 'ann', label: 'meh', notes: 'first' },
      { event_id: 'only', labeler: 'bob', label: 'bad', notes: null },
    ]);
    // '' clears the notes.
    await label('ann', 'only', 'meh', '');
    expect(rows()[0]!.notes).toBeNull();
    const report = await buildLabelReport(api);
    expect(report.mix).toEqual({ good: 0, meh: 1, bad: 1, total: 2 });
    expect(report.per_labeler).toEqual({ ann: { good: 0, meh: 1, bad: 0, total: 1 }, bob: { good: 0, meh: 0, bad: 1, total: 1 } });
    expect(report.per_arm).toEqual({ baseline: { good: 0, meh: 1, bad: 1, total: 2 } });
    // One clip, two disagreeing labels: observed agreement 0, chance 0.5, kappa −1.
    expect(report.agreement).toMatchObject({ clips: 1, labels: 2, observed: 0, expected: 0.5, kappa: -1 });
    expect(formatLabels(report).join('\n')).toMatch(/Fleiss' kappa -1.000 over 1 clips/);
  });

  it('undo removes the last label and hands its clip back (leased); nothing left → 404', async () => {
    await seed(ids(3).map((event_id) => ({ event_id })));
    const first = (await next('ann')).clip!.event_id;
    await label('ann', first, 'good');
    const second = (await next('ann')).clip!.event_id;
    await label('ann', second, 'bad', 'too abrupt');
    const u = await call('POST', `${API}/undo`, { name: 'ann' });
    expect(u.status).toBe(200);
    const ub = bodyOf(u);
    expect(ub.undone).toMatchObject({ event_id: second, label: 'bad', notes: 'too abrupt' });
    expect(ub.clip.event_id).toBe(second);
    expect(ub.leased).toBe(true);
    expect(rows().map((r) => r.event_id)).toEqual([first]);
    // The clip is leased to ann again: bob cannot get it, ann's next is that clip.
    const bobs = (await next('bob')).clip!.event_id;
    expect([first, second]).not.toContain(bobs);
    expect((await next('ann')).clip!.event_id).toBe(second);
  });

  it('after undo, next returns the undone clip to the same labeler', async () => {
    await seed(ids(3).map((event_id) => ({ event_id })));
    const first = (await next('ann')).clip!.event_id;
    await label('ann', first, 'good');
    await call('POST', `${API}/undo`, { name: 'ann' });
    expect((await next('ann')).clip!.event_id).toBe(first);
    expect((await next('bob')).clip!.event_id).not.toBe(first);
    await label('ann', first, 'meh');
    expect((await call('POST', `${API}/undo`, { name: 'ann' })).status).toBe(200);
    const none = await call('POST', `${API}/undo`, { name: 'ann' });
    expect(none.status).toBe(404);
    expect(bodyOf(none).error).toMatch(/nothing to undo/);
  });

  it('skip puts the clip at the end of this labeler\'s queue and is not a label', async () => {
    await seed(ids(3).map((event_id) => ({ event_id })));
    const skipped = (await next('ann')).clip!.event_id;
    expect((await call('POST', `${API}/skip`, { name: 'ann', body: { event_id: skipped } })).status).toBe(200);
    expect(rows()).toEqual([]);
    // Another labeler may get it at once (the skip released ann's lease).
    const seen = [];
    for (let i = 0; i < 2; i++) {
      const c = (await next('ann')).clip!.event_id;
      expect(c).not.toBe(skipped);
      seen.push(c);
      await label('ann', c, 'good');
    }
    expect((await next('ann')).clip!.event_id).toBe(skipped);
    expect(new Set(seen).size).toBe(2);
  });

  it('filters: track, mode, arm, model version, similarity range; remaining counts follow them', async () => {
    await seed([
      { event_id: 'f1', track_id: 't1', mode: 'jukebox', policy_mode: 'baseline', similarity: 0.2 },
      { event_id: 'f2', track_id: 't2', mode: 'jukebox', policy_mode: 'rl', model_version: 'm-7', similarity: 0.6 },
      { event_id: 'f3', track_id: 't2', mode: 'radio', policy_mode: null, similarity: 0.95 },
      { event_id: 'f4', track_id: 't1', mode: 'radio', policy_mode: 'rl', model_version: 'm-8', similarity: null },
    ]);
    const only = async (query: string) => {
      const r = await next('ann', query);
      const got = r.clip?.event_id ?? null;
      await call('POST', `${API}/skip`, { name: 'ann', body: got ? { event_id: got } : { event_id: 'f1' } });
      return { got, remaining: r.remaining };
    };
    expect(await only('?track=t2&mode=radio')).toEqual({ got: 'f3', remaining: 1 });
    expect(await only('?arm=rl&model_version=m-7')).toEqual({ got: 'f2', remaining: 1 });
    expect(await only('?arm=none')).toEqual({ got: 'f3', remaining: 1 });
    expect(await only('?sim_min=0.5&sim_max=0.9')).toEqual({ got: 'f2', remaining: 1 });
    expect(await only('?sim_min=0.9')).toEqual({ got: 'f3', remaining: 1 });
    expect(await only('?track=t1&arm=baseline')).toEqual({ got: 'f1', remaining: 1 });
    expect(await only('?track=nope')).toEqual({ got: null, remaining: 0 });
    const me = bodyOf(await call('GET', `${API}/me?track=t1`, { name: 'ann' }));
    expect(me).toMatchObject({ labeler: 'ann', remaining: 2, labeled_total: 0, now: clock });
    for (const [q, field] of [
      ['?arm=green', 'arm'],
      ['?sim_min=abc', 'sim_min'],
      ['?sim_min=0.9&sim_max=0.1', 'sim_min'],
      ['?order=best', 'order'],
    ]) {
      const r = await call('GET', `${API}/next${q}`, { name: 'ann' });
      expect(r.status, q).toBe(400);
      expect(bodyOf(r).details[0].field).toBe(field);
      expect(bodyOf(r).error).toMatch(new RegExp(`^${field} `));
    }
  });

  it('order=uncertain: random with a note without a model; p(good) closest to 0.5 first with one', async () => {
    await seed([
      { event_id: 'u1', similarity: 0.1 },
      { event_id: 'u2', similarity: 0.95 },
      { event_id: 'u3', similarity: 0.52 },
      { event_id: 'u4', similarity: 0.3 },
    ]);
    const fallback = await next('ann', '?order=uncertain');
    expect(fallback.order).toBe('random');
    expect(fallback.order_note).toMatch(/no active model/);
    await call('POST', `${API}/skip`, { name: 'ann', body: { event_id: fallback.clip!.event_id } });

    const width = FEATURE_NAMES.length;
    const weights = new Array(width).fill(0);
    weights[0] = 10; // similarity: p = σ(10·sim − 5), 0.5 at sim = 0.5
    const ms = { log_loss: 0.5, auc: 0.7, brier: 0.2, ece: 0.05 };
    const model = {
      version: 'm-test', created_at: '2026-01-01T00:00:00Z', data_hash: 'abc', feature_names: FEATURE_NAMES,
      mean: new Array(width).fill(0), std: new Array(width).fill(1), weights, bias: -5,
      metrics: { held_out: ms, baseline: ms, train: ms, k_folds: 5 }, n_examples: 10,
      label_counts: { good: 5, meh: 0, bad: 5 }, training_ms: 1, l2: 1, seed: 1,
    };
    mount({}, { model: { get: () => ({ version: 'm-test', raw: JSON.stringify(model) }) } });
    const order = [];
    for (let i = 0; i < 4; i++) {
      const r = await next('bob', '?order=uncertain');
      expect(r.order).toBe('uncertain');
      order.push(r.clip!.event_id);
      await label('bob', r.clip!.event_id, 'good');
    }
    expect(order).toEqual(['u3', 'u4', 'u1', 'u2']);
    mount({}, { model: { get: () => ({ version: 'broken', raw: '{"version":"broken"}' }) } });
    expect((await next('cy', '?order=uncertain')).order_note).toMatch(/unusable/);
  });

  it('invalid input: label values, unknown ids, malformed ids, notes, JSON → 400/404 with a message', async () => {
    await seed([{ event_id: 'ok1' }]);
    const cases: [unknown, number, RegExp][] = [
      [{ event_id: 'ok1', label: 'great' }, 400, /label must be one of good \| meh \| bad/],
      [{ event_id: 'ok1' }, 400, /label must be one of/],
      [{ event_id: 'nope', label: 'good' }, 404, /clip nope not found/],
      [{ event_id: '../etc/passwd', label: 'good' }, 400, /event_id must be/],
      [{ label: 'good' }, 400, /event_id is required/],
      [{ event_id: 'ok1', label: 'good', notes: 'x'.repeat(2001) }, 400, /notes must be at most 2000/],
      [{ event_id: 'ok1', label: 'good', notes: 5 }, 400, /notes must be a string/],
      [{ event_id: 'ok1', label: 'good', time_spent_ms: -1 }, 400, /time_spent_ms/],
      ['{"event_id":', 400, /not valid JSON/],
      ['[1]', 400, /JSON object/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await call('POST', `${API}/label`, { name: 'ann', body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(bodyOf(r).error).toMatch(msg);
    }
    expect(bodyOf(await call('POST', `${API}/label`, { name: 'ann', body: { event_id: 'ok1', label: 'nah' } })).code).toBe('INVALID_LABEL');
    expect((await call('POST', `${API}/skip`, { name: 'ann', body: { event_id: 'missing' } })).status).toBe(404);
    expect((await call('GET', `${API}/audio/missing`)).status).toBe(404);
    expect((await call('GET', `${API}/audio/${encodeURIComponent('a/../../x')}`)).status).toBe(400); // one %2F-encoded segment
    expect((await call('GET', `${API}/audio/a/../x`)).status).toBe(404); // extra segments: no route
    expect((await router.handle({ ...request('GET', `${API}/audio/x`), path: `${API}/audio/..` })).status).toBe(400);
    expect((await call('GET', `${API}/audio/a.wav`)).status).toBe(400);
    expect((await call('GET', `${API}/audio/missing/reference`)).status).toBe(404);
    expect(rows()).toEqual([]);
  });

  it('notes with HTML and script are stored and returned verbatim (the page renders them as text)', async () => {
    await seed([{ event_id: 'x1' }]);
    const evil = `<img src=x onerror="alert(1)"><script>alert("x")</script> & "quotes"`;
    expect((await label('ann', 'x1', 'bad', evil)).status).toBe(200);
    expect(rows()[0]!.notes).toBe(evil);
    const recent = bodyOf(await call('GET', `${API}/recent`, { name: 'ann' }));
    expect(recent.decisions[0]).toMatchObject({ event_id: 'x1', notes: evil, label: 'bad', track_title: 'Title of track-a' });
    // JSON responses are never sniffed as HTML.
    expect((await call('GET', `${API}/recent`, { name: 'ann' })).headers?.['Content-Type']).toMatch(/^application\/json/);
  });

  it('recent: the last 10 decisions, newest first, each editable in place; me counts the session', async () => {
    await seed(ids(12).map((event_id) => ({ event_id })));
    for (let i = 0; i < 12; i++) {
      clock += 1000;
      await label('ann', `ev-${i}`, 'good');
    }
    const since = clock - 2500;
    let recent = bodyOf(await call('GET', `${API}/recent`, { name: 'ann' })).decisions as { event_id: string; label: string }[];
    expect(recent.map((d) => d.event_id)).toEqual(ids(12).slice(2).reverse());
    await label('ann', 'ev-5', 'bad');
    recent = bodyOf(await call('GET', `${API}/recent`, { name: 'ann' })).decisions;
    expect(recent[6]).toMatchObject({ event_id: 'ev-5', label: 'bad' }); // edited in place, not moved
    const me = bodyOf(await call('GET', `${API}/me?since=${since}`, { name: 'ann' }));
    expect(me).toMatchObject({ labeled_total: 12, labeled_since: 3, remaining: 0, labels_per_clip: 1 });
  });

  it('audio: by event id with Range (206, suffix, open-ended), 416 outside the file, HEAD', async () => {
    await seed([{ event_id: 'w1' }]);
    const file = readFileSync(join(snippetsDir, 'w1.wav'));
    const full = await call('GET', `${API}/audio/w1`);
    expect(full.status).toBe(200);
    expect(full.headers).toMatchObject({ 'Content-Type': 'audio/wav', 'Accept-Ranges': 'bytes' });
    expect(Buffer.compare(Buffer.from(full.body as Uint8Array), file)).toBe(0);
    const part = await call('GET', `${API}/audio/w1`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers?.['Content-Range']).toBe(`bytes 0-99/${file.length}`);
    expect(Buffer.compare(Buffer.from(part.body as Uint8Array), file.subarray(0, 100))).toBe(0);
    const tail = await call('GET', `${API}/audio/w1`, { headers: { range: 'bytes=-10' } });
    expect(tail.headers?.['Content-Range']).toBe(`bytes ${file.length - 10}-${file.length - 1}/${file.length}`);
    expect((tail.body as Uint8Array).byteLength).toBe(10);
    const open = await call('GET', `${API}/audio/w1`, { headers: { range: `bytes=${file.length - 5}-` } });
    expect(open.status).toBe(206);
    expect((open.body as Uint8Array).byteLength).toBe(5);
    const beyondEnd = await call('GET', `${API}/audio/w1`, { headers: { range: `bytes=10-${file.length * 2}` } });
    expect(beyondEnd.headers?.['Content-Range']).toBe(`bytes 10-${file.length - 1}/${file.length}`);
    const bad = await call('GET', `${API}/audio/w1`, { headers: { range: `bytes=${file.length}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers?.['Content-Range']).toBe(`bytes */${file.length}`);
    expect(bodyOf(bad)).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE', error: expect.stringMatching(/outside/) });
    expect((await call('GET', `${API}/audio/w1`, { headers: { range: 'bytes=-0' } })).status).toBe(416);
    // Malformed or multi-range headers are ignored: the whole file.
    expect((await call('GET', `${API}/audio/w1`, { headers: { range: 'bytes=5-1' } })).status).toBe(200);
    expect((await call('GET', `${API}/audio/w1`, { headers: { range: 'bytes=0-1,5-6' } })).status).toBe(200);
    expect((await call('HEAD', `${API}/audio/w1`)).status).toBe(200);
  });

  it('reference clip: served when present, rendered on demand with a renderer (once), else 404 with the reason', async () => {
    await seed([{ event_id: 'r1', withReference: true }, { event_id: 'r2' }, { event_id: 'r3', track_id: 'unregistered' }]);
    store.db.prepare("DELETE FROM tracks WHERE track_id = 'unregistered'").run();
    const present = await call('GET', `${API}/audio/r1/reference`, { headers: { range: 'bytes=0-3' } });
    expect(present.status).toBe(206);
    expect(Buffer.from(present.body as Uint8Array).toString('latin1')).toBe('RIFF');
    expect(store.snippets.get('r1')!.ref_path).toBe(join(snippetsDir, 'r1.ref.wav'));
    const missing = await call('GET', `${API}/audio/r2/reference`);
    expect(missing.status).toBe(404);
    expect(bodyOf(missing).error).toMatch(/no reference clip for event r2/);

    const renders: string[] = [];
    mount({}, {
      renderer: {
        render: async (track, spec) => {
          renders.push(`${spec.event_id}:${spec.kind}:${spec.pre}:${spec.post}:${track.sha256.slice(0, 4)}`);
          const path = join(snippetsDir, `${spec.event_id}.ref.wav`);
          writeFileSync(path, seedWav(9, true));
          return { path };
        },
      },
    });
    const [x, y] = await Promise.all([call('GET', `${API}/audio/r2/reference`), call('GET', `${API}/audio/r2/reference`)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect(renders).toEqual(['r2:reference:0.75:0.75:0000']);
    expect(store.snippets.get('r2')!.ref_path).toBe(join(snippetsDir, 'r2.ref.wav'));
    const noTrack = await call('GET', `${API}/audio/r3/reference`);
    expect(noTrack.status).toBe(404);
    expect(bodyOf(noTrack).error).toMatch(/track unregistered is not registered/);
  });

  it('a clip whose WAV vanished from disk is a 404 naming it', async () => {
    await seed([{ event_id: 'gone' }]);
    mkdirSync(snippetsDir, { recursive: true });
    writeFileSync(join(snippetsDir, 'gone.wav'), '');
    const { rmSync } = await import('node:fs');
    rmSync(join(snippetsDir, 'gone.wav'));
    const r = await call('GET', `${API}/audio/gone`);
    expect(r.status).toBe(404);
    expect(bodyOf(r).error).toMatch(/clip of event gone not found on disk/);
  });
});
