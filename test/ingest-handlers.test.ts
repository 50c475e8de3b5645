import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateBanditPolicy } from '../src/bandit/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/ingest/server.js';
import { Store } from '../src/store/index.js';
import type { HttpRequest } from '../src/http/types.js';
import { makeEvent, tempDir, testConfig } from './support/env.js';

/**
 * Handler behaviour, run once per write backend (commits on the calling thread vs. on the writer
 * thread): the same contract must hold for both. Calls go through the router without a socket.
 */
const backends = [
  ['inline', true],
  ['worker thread', false],
] as const;

function request(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): HttpRequest {
  const url = new URL(path, 'http://x');
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    params: {},
    body: typeof body === 'string' ? Buffer.from(body) : (body ?? new Uint8Array(0)),
  };
}

describe.each(backends)('ingest handlers (%s writer)', (_name, inlineWriter) => {
  let tmp: ReturnType<typeof tempDir>;
  let app: Awaited<ReturnType<typeof createApp>>;
  const post = (body: string | Uint8Array, ct = 'text/plain;charset=UTF-8') =>
    app.router.handle(request('POST', '/api/rl/jump-event', body, ct ? { 'content-type': ct } : {}));
  const rows = () => {
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      return {
        events: s.db.prepare('SELECT event_id, context FROM jump_events ORDER BY id').all() as { event_id: string; context: string }[],
        rejected: s.db.prepare('SELECT reason, detail, raw FROM rejected_events ORDER BY id').all() as { reason: string; detail: string; raw: string }[],
      };
    } finally {
      s.close();
    }
  };

  beforeEach(async () => {
    tmp = tempDir();
    app = await createApp(testConfig(tmp.dir), { inlineWriter });
  });
  afterEach(async () => {
    await app.close();
    tmp.cleanup();
  });

  it('204 for one event, an array and {events}, each stored once; duplicates accepted', async () => {
    const a = makeEvent();
    const b = makeEvent();
    const c = makeEvent();
    expect((await post(JSON.stringify(a))).status).toBe(204);
    expect((await post(JSON.stringify([b, a]), 'application/json')).status).toBe(204);
    expect((await post(JSON.stringify({ events: [c, c] }), '')).status).toBe(204);
    await app.close();
    // Merged in event_id order: compare as sets.
    expect(rows().events.map((r) => r.event_id).sort()).toEqual([a.event_id, b.event_id, c.event_id].sort());
    app = await createApp(testConfig(tmp.dir), { inlineWriter });
  });

  it('mixed batch: 400 with details; valid events stored, invalid ones dead-lettered', async () => {
    const good = makeEvent();
    const res = await post(JSON.stringify([good, { event_id: 'x', source_index: -1 }, 7]));
    expect(res.status).toBe(400);
    const body = JSON.parse(String(res.body));
    expect(body.error).toMatch(/2 of 3 events are invalid/);
    expect(body.details).toContainEqual({ index: 1, field: 'source_index', message: 'must be an integer >= 0' });
    expect(body.details).toContainEqual({ index: 2, field: '', message: 'event must be a JSON object' });
    await app.close();
    const r = rows();
    expect(r.events.map((e) => e.event_id)).toEqual([good.event_id]);
    // One dead letter for the body: its raw text once, the reasons per item.
    expect(r.rejected.map((x) => x.reason)).toEqual(['invalid_event']);
    expect(r.rejected[0]!.raw).toBe(JSON.stringify([good, { event_id: 'x', source_index: -1 }, 7]));
    const detail = JSON.parse(r.rejected[0]!.detail);
    expect(detail).toMatchObject({ invalid: 2, of: 3 });
    expect(detail.items.map((i: { index: number }) => i.index)).toEqual([1, 2]);
    expect(detail.items[1].problems).toMatch(/must be a JSON object/);
    app = await createApp(testConfig(tmp.dir), { inlineWriter });
  });

  it('a 64 KB body of 32 000 invalid items is one dead letter, with at most 2 000 item reasons and about 32 KB of them', async () => {
    const body = `[${Array.from({ length: 32_000 }, () => '0').join(',')}]`;
    expect(body.length).toBeLessThan(64 * 1024);
    for (let i = 0; i < 5; i++) expect((await post(body)).status).toBe(400);
    // Items with long reasons: the detail stops at about 32 KB of text, whatever the item count.
    const objects = `[${Array.from({ length: 20_000 }, () => '{}').join(',')}]`;
    expect((await post(objects)).status).toBe(400);
    const tel = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/telemetry'))).body));
    expect(tel.rejected).toEqual({ total: 180_000, by_reason: [{ reason: 'invalid_event', count: 180_000 }] });
    await app.close();
    const r = rows();
    expect(r.rejected).toHaveLength(6);
    const detail = JSON.parse(r.rejected[0]!.detail);
    expect(detail).toMatchObject({ invalid: 32_000, of: 32_000 });
    expect(detail.items.length).toBeGreaterThan(100);
    expect(detail.items.length).toBeLessThanOrEqual(2000);
    expect(detail.omitted).toBe(32_000 - detail.items.length);
    expect(r.rejected[0]!.detail.length).toBeLessThan(40 * 1024);
    // Five posts cost five rows of ~64 KB raw + ~100 KB of reasons, not 160 000 rows.
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'), { readonly: true });
    const bytes = s.db.prepare('SELECT sum(bytes) FROM rejected_events').pluck().get() as number;
    s.close();
    expect(bytes).toBeLessThan(5 * 200 * 1024);
    const long = JSON.parse(r.rejected[5]!.detail);
    expect(long.invalid).toBe(20_000);
    expect(r.rejected[5]!.detail.length).toBeLessThan(40 * 1024);
    expect(long.omitted).toBeGreaterThan(19_000);
    app = await createApp(testConfig(tmp.dir), { inlineWriter });
  });

  it('RL_REJECTED_MAX_MB caps the dead letters: the oldest are dropped and counted in /metrics', async () => {
    await app.close();
    app = await createApp(testConfig(tmp.dir, { RL_REJECTED_MAX_MB: '0.1' }), { inlineWriter });
    const body = (n: number) => `{"n":${n},"pad":"${'x'.repeat(20_000)}"}`; // ~20 KB each: invalid (no fields)
    for (let i = 0; i < 20; i++) expect((await post(body(i))).status).toBe(400);
    const m = String((await app.router.handle(request('GET', '/metrics'))).body);
    const dropped = Number(/harmonizer_rejected_dropped_total (\d+)/.exec(m)![1]);
    expect(dropped).toBeGreaterThanOrEqual(15);
    await app.close();
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'), { readonly: true });
    const kept = s.db.prepare('SELECT raw, bytes FROM rejected_events ORDER BY id').all() as { raw: string; bytes: number }[];
    s.close();
    expect(kept.length).toBe(20 - dropped);
    expect(kept.reduce((n, k) => n + k.bytes, 0)).toBeLessThanOrEqual(0.1 * 1024 * 1024);
    expect(JSON.parse(kept.at(-1)!.raw).n).toBe(19); // the newest stay
    app = await createApp(testConfig(tmp.dir), { inlineWriter });
  });

  it.each([
    ['invalid JSON', '{"event_id":', 400, 'INVALID_JSON'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 400, 'INVALID_JSON'],
    ['a JSON string', '"hello"', 400, 'BAD_REQUEST'],
    ['an empty array', '[]', 400, 'BAD_REQUEST'],
    ['random bytes', new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)), 400, 'INVALID_JSON'],
  ])('%s is refused', async (_n, body, status, code) => {
    const res = await post(body as string | Uint8Array);
    expect(res.status).toBe(status);
    expect(JSON.parse(String(res.body)).code).toBe(code);
  });

  it('415 for other content types', async () => {
    const res = await post(JSON.stringify(makeEvent()), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  it('survives hostile shapes: deep nesting, huge numbers, 10 000-element arrays', async () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    expect((await post(deep)).status).toBe(400);
    const deepCtx = `{"event_id":"d","session_id":"s","track_id":"t","mode":"m","source_index":1,"target_index":2,"source_time":1,"target_time":2,"context":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    expect((await post(deepCtx)).status).toBe(400);
    const huge = JSON.stringify(makeEvent({ source_index: 1e400 })).replace('null', '1e400');
    expect((await post(huge)).status).toBe(400);
    const many = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => i));
    const res = await post(many);
    expect(res.status).toBe(400);
    expect(JSON.parse(String(res.body)).details.length).toBe(100);
    const wrongTypes = JSON.stringify(makeEvent({ session_id: { a: 1 }, mode: [1], source_time: true }));
    expect((await post(wrongTypes)).status).toBe(400);
    // Still healthy and still storing.
    expect((await post(JSON.stringify(makeEvent()))).status).toBe(204);
    expect((await app.router.handle(request('GET', '/healthz'))).status).toBe(200);
  });

  it('503 with Retry-After when the write queue is full', async () => {
    await app.close();
    app = await createApp(testConfig(tmp.dir, { RL_WRITE_QUEUE_MAX: '1' }), { inlineWriter });
    const res = await post(JSON.stringify([makeEvent(), makeEvent()]));
    expect(res.status).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('1');
    expect((await post(JSON.stringify(makeEvent()))).status).toBe(204);
  });

  it('404 and 405 as JSON', async () => {
    const nf = await app.router.handle(request('GET', '/nope'));
    expect(nf.status).toBe(404);
    expect(JSON.parse(String(nf.body)).code).toBe('NOT_FOUND');
    expect((await app.router.handle(request('GET', '/api/rl/jump-event'))).status).toBe(405);
  });

  it('policy: sticky per session; creates a session id when missing; refuses a bad one', async () => {
    const first = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/policy?session_id=abc'))).body));
    // auto mode (the default): a baseline holdout of 0.2, the rest on the bandit; the draw's probability is recorded.
    expect(first).toMatchObject({ session_id: 'abc', mode: 'auto', shadow: false, policy_version: 'cold-start', created: true });
    expect(first.probability).toBe(first.arm === 'baseline' ? 0.2 : 0.8);
    const again = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/policy?session_id=abc'))).body));
    expect(again).toMatchObject({ session_id: 'abc', arm: first.arm, created: false, assigned_at: first.assigned_at });
    const fresh = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/policy'))).body));
    expect(fresh.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await app.router.handle(request('GET', '/api/rl/policy?session_id=' + encodeURIComponent('<script>')))).status).toBe(400);
  });

  it('policy modes: rl, shadow, baseline, and auto with its holdout', async () => {
    const arm = async (sid: string) => JSON.parse(String((await app.router.handle(request('GET', `/api/rl/policy?session_id=${sid}`))).body));
    await app.close();
    app = await createApp(testConfig(tmp.dir, { RL_POLICY_MODE: 'rl' }), { inlineWriter });
    expect(await arm('r1')).toMatchObject({ arm: 'rl', probability: 1, mode: 'rl', shadow: false });
    await app.close();
    app = await createApp(testConfig(tmp.dir, { RL_POLICY_MODE: 'shadow' }), { inlineWriter });
    expect(await arm('s1')).toMatchObject({ arm: 'baseline', probability: 1, mode: 'shadow', shadow: true });
    // A session keeps its first assignment whatever the mode is now.
    expect(await arm('r1')).toMatchObject({ arm: 'rl', shadow: false, created: false });
    await app.close();
    app = await createApp(testConfig(tmp.dir, { RL_POLICY_MODE: 'baseline' }), { inlineWriter });
    expect(await arm('b1')).toMatchObject({ arm: 'baseline', probability: 1, shadow: false });

    await app.close();
    let u = 0;
    app = await createApp(testConfig(tmp.dir, { RL_POLICY_MODE: 'auto', RL_HOLDOUT: '0.3' }), { inlineWriter, rand: () => ((u += 0.37) % 1) });
    const arms = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const a = await arm(`a${i}`);
      expect(a.probability).toBe(a.arm === 'baseline' ? 0.3 : 0.7);
      arms.set(a.arm, (arms.get(a.arm) ?? 0) + 1);
    }
    expect([...arms.keys()].sort()).toEqual(['baseline', 'rl']);
    // Two of the 13 assigned sessions play (one jump, one listener signal); one events' session has no assignment.
    const r1 = await arm('a1');
    expect((await post(JSON.stringify(makeEvent({ session_id: 'a1', policy_mode: r1.arm })))).status).toBe(204);
    const signal = { signal_id: randomUUID(), session_id: 'a2', track_id: 'demo', kind: 'seek', position_s: 3, client_ts: 1 };
    expect((await app.router.handle(request('POST', '/api/rl/listener-event', JSON.stringify(signal)))).status).toBe(204);
    expect((await post(JSON.stringify(makeEvent({ session_id: 'never-assigned' })))).status).toBe(204);
    const tel = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/telemetry'))).body));
    expect(tel.sessions.assigned).toBe(13);
    expect(tel.sessions.with_events).toBe(3);
    const a2 = await arm('a2');
    const playing = (name: string) => tel.sessions.per_arm[name].with_events as number;
    expect(playing('baseline') + playing('rl')).toBe(2);
    expect(playing(r1.arm)).toBeGreaterThanOrEqual(1);
    expect(playing(a2.arm)).toBeGreaterThanOrEqual(1);
    expect(tel.sessions.srm).not.toBeNull();
  });

  it('policy-model: the cold start until a policy is written, then the file, with an ETag and 304', async () => {
    const cold = await app.router.handle(request('GET', '/api/rl/policy-model'));
    expect(cold.status).toBe(200);
    const policy = validateBanditPolicy(JSON.parse(String(cold.body)));
    expect(policy.version).toBe('cold-start');
    expect(policy.exploration).toEqual({ algorithm: 'squarecb', floor: 0.01, epsilon: 0.1 });
    const etag = cold.headers!.ETag!;
    expect((await app.router.handle(request('GET', '/api/rl/policy-model', undefined, { 'if-none-match': etag }))).status).toBe(304);
    const next = { ...policy, version: 'b400-0123abcd', data: { first_seq: 1, last_seq: 400, rewards: 400 } };
    writeFileSync(join(tmp.dir, 'policy.json'), JSON.stringify(next));
    const r = await app.router.handle(request('GET', '/api/rl/policy-model', undefined, { 'if-none-match': etag }));
    expect(r.status).toBe(200);
    expect(JSON.parse(String(r.body)).version).toBe('b400-0123abcd');
    expect(r.headers!.ETag).not.toBe(etag);
    const assigned = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/policy?session_id=v1'))).body));
    expect(assigned.policy_version).toBe('b400-0123abcd');
  });

  it('telemetry and metrics report what happened', async () => {
    await post(JSON.stringify([makeEvent({ policy_mode: 'rl' }), makeEvent({ policy_mode: 'baseline' }), makeEvent({ policy_mode: null })]));
    await post('nope');
    const tel = JSON.parse(String((await app.router.handle(request('GET', '/api/rl/telemetry'))).body));
    expect(tel.events).toEqual({ total: 3, per_arm: { baseline: 1, rl: 1, none: 1 } });
    expect(tel.rejected.by_reason).toEqual([{ reason: 'invalid_json', count: 1 }]);
    expect(tel.ingest_rate.last_60s_per_s).toBeCloseTo(3 / 60, 6);
    const m = String((await app.router.handle(request('GET', '/metrics'))).body);
    expect(m).toMatch(/harmonizer_events_total\{outcome="accepted"\} 3/);
    expect(m).toMatch(/harmonizer_http_requests_total\{route="\/api\/rl\/jump-event",status="400"\} 1/);
    expect(m).toMatch(/harmonizer_commit_seconds_bucket/);
    expect(m).toMatch(/harmonizer_write_queue_events 0/);
  });

  it('model endpoint: 404 without a model, ETag and 304 with one', async () => {
    expect((await app.router.handle(request('GET', '/api/rl/model'))).status).toBe(404);
    writeFileSync(join(tmp.dir, 'model.json'), JSON.stringify({ version: 'v9', weights: [1] }));
    const r = await app.router.handle(request('GET', '/api/rl/model'));
    expect(r.status).toBe(200);
    expect(JSON.parse(String(r.body)).version).toBe('v9');
    const etag = r.headers!.ETag!;
    expect((await app.router.handle(request('GET', '/api/rl/model', undefined, { 'if-none-match': etag }))).status).toBe(304);
  });
});

describe('listener signals', () => {
  it('stores valid signals once and refuses invalid ones with details', async () => {
    const tmp = tempDir();
    const app = await createApp(testConfig(tmp.dir), { inlineWriter: true });
    try {
      const sig = { signal_id: 's-1', session_id: 'abc', track_id: 'demo', kind: 'seek', position_s: 12.5, after_jump_event_id: 'e-9', ms_since_jump: 1800, policy_mode: 'rl', client_ts: 1 };
      const ok = await app.router.handle(request('POST', '/api/rl/listener-event', JSON.stringify([sig, sig])));
      expect(ok.status).toBe(204);
      const bad = await app.router.handle(request('POST', '/api/rl/listener-event', JSON.stringify({ events: [{ ...sig, signal_id: 's-2', kind: 'dance' }] })));
      expect(bad.status).toBe(400);
      expect(JSON.parse(String(bad.body)).details).toContainEqual({ index: 0, field: 'kind', message: expect.stringMatching(/must be one of seek/) });
      await app.close();
      const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
      expect(s.events.signalCounts()).toEqual([{ kind: 'seek', count: 1 }]);
      expect(s.telemetry.rejectedByReason()).toEqual([{ reason: 'invalid_signal', count: 1 }]);
      s.close();
    } finally {
      tmp.cleanup();
    }
  });
});
