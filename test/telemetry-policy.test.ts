import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/shared/paths.js';
import { createApp } from '../src/ingest/server.js';
import { joinRewards } from '../src/learn/join.js';
import { Store, sqliteApi } from '../src/store/index.js';
import type { HttpRequest } from '../src/http/types.js';
import type { JumpEvent } from '../src/shared/jump-event.js';
import { tempDir, testConfig } from './support/env.js';

function get(path: string, headers: Record<string, string> = {}): HttpRequest {
  return { method: 'GET', path, query: new URLSearchParams(), headers, params: {}, body: new Uint8Array(0) };
}

function event(i: number, arm: 'rl' | 'baseline'): JumpEvent {
  return {
    event_id: `e${i}`, session_id: `s-${arm}`, track_id: 'demo', track_title: null, mode: 'jukebox',
    source_index: 1, target_index: 10, source_time: 0, target_time: 1, similarity: null, span: null, same_section: null,
    policy_mode: arm, model_version: 'cold-start', quality_score: null, propensity: 0.5,
    candidates: [
      { target_index: 10, features: { similarity: 0.9 }, probability: 0.5, chosen: true },
      { target_index: 20, features: { similarity: 0.8 }, probability: 0.5, chosen: false },
    ],
    settings: null, context: {}, client_ts: 1000 + i, received_at: 1,
  };
}

/**
 * The policy series of /metrics and the telemetry's operator-only parts, on a seeded store: labeled
 * decisions of both arms, and an active bandit policy with gate evaluations.
 */
describe('policy telemetry', () => {
  let tmp: ReturnType<typeof tempDir>;
  let app: Awaited<ReturnType<typeof createApp>>;
  const TOKEN = 'operator-token-123';

  beforeEach(async () => {
    tmp = tempDir();
    const config = testConfig(tmp.dir);
    // Migrate through the app once, then seed with a writable store.
    await (await createApp(config, { inlineWriter: true })).close();
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      // rl: 6 labeled jumps, 4 good and 2 bad (mean 4/6); baseline: 4, 1 good, 1 meh, 2 bad (mean 1.5/4).
      const rl = ['good', 'good', 'good', 'good', 'bad', 'bad'];
      const base = ['good', 'meh', 'bad', 'bad'];
      const events = [...rl.map((_, i) => event(i, 'rl')), ...base.map((_, i) => event(100 + i, 'baseline'))];
      store.events.insertMany(events);
      [...rl, ...base].forEach((label, i) =>
        store.labels.upsert({ event_id: events[i]!.event_id, labeler: i % 2 ? 'ann' : 'bob', label: label as 'good', time_spent_ms: null, now: 1 }),
      );
      while ((await joinRewards(sqliteApi(store, 'test'), { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 1, implicitWeight: 1 }, 1_800_000_000_000)).more);
      const policy = (version: string, seq: number, evaluation: unknown) => ({
        version, created_at: '2026-12-01T00:00:00Z', status: 'candidate' as const, first_seq: 1, last_seq: seq, rewards: seq,
        reason: 'r', evaluation: JSON.stringify(evaluation), policy_json: '{}',
      });
      store.bandit.insertPolicy(policy('b200-aaaa', 200, { candidate: { estimate: 0.55 }, reference: { policy: 'baseline', estimate: 0.4 } }));
      store.bandit.activate('b200-aaaa', 'promoted');
      // A later gate run measured the active policy on newer decisions: that is its current estimate.
      store.bandit.insertPolicy(policy('b400-bbbb', 400, { candidate: { estimate: 0.6 }, reference: { policy: 'active b200-aaaa', estimate: 0.58 } }));
    } finally {
      store.close();
    }
    app = await createApp(config, { inlineWriter: true, operatorToken: TOKEN });
  });
  afterEach(async () => {
    await app.close();
    tmp.cleanup();
  });

  const metric = (text: string, name: string) => {
    const m = new RegExp(`^${name.replace(/[{}"=,]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };

  it('/metrics has decisions and mean reward per arm and kind, the active version and its DR estimate', async () => {
    const res = await app.router.handle(get('/metrics'));
    expect(res.status).toBe(200);
    const text = String(res.body);
    expect(metric(text, 'harmonizer_policy_decisions{arm="rl",kind="jump"}')).toBe(6);
    expect(metric(text, 'harmonizer_policy_decisions{arm="baseline",kind="jump"}')).toBe(4);
    expect(metric(text, 'harmonizer_policy_reward_mean{arm="rl",kind="jump"}')).toBeCloseTo(4 / 6, 9);
    expect(metric(text, 'harmonizer_policy_reward_mean{arm="baseline",kind="jump"}')).toBeCloseTo(1.5 / 4, 9);
    expect(metric(text, 'harmonizer_bandit_active_policy_info{version="b200-aaaa"}')).toBe(1);
    expect(metric(text, 'harmonizer_bandit_active_dr_estimate')).toBeCloseTo(0.58, 9);
  });

  it('telemetry shows who labeled what only with the operator token', async () => {
    const anonymous = JSON.parse(String((await app.router.handle(get('/api/rl/telemetry'))).body)) as { labels: Record<string, unknown> };
    expect(anonymous.labels.per_labeler).toBeUndefined();
    expect(JSON.stringify(anonymous)).not.toMatch(/"ann"|"bob"/);
    expect(anonymous.labels.mix).toMatchObject({ total: 10 });
    const wrong = JSON.parse(String((await app.router.handle(get('/api/rl/telemetry', { authorization: 'Bearer nope-nope-nope' }))).body)) as { labels: Record<string, unknown> };
    expect(wrong.labels.per_labeler).toBeUndefined();
    const operator = JSON.parse(String((await app.router.handle(get('/api/rl/telemetry', { authorization: `Bearer ${TOKEN}` }))).body)) as { labels: { per_labeler: Record<string, { total: number }> } };
    expect(Object.keys(operator.labels.per_labeler).sort()).toEqual(['ann', 'bob']);
    expect(operator.labels.per_labeler.ann!.total + operator.labels.per_labeler.bob!.total).toBe(10);
  });
});

describe('docs/grafana-dashboard.json', () => {
  it('is a Grafana dashboard whose queries use only series the server exports', async () => {
    const dash = JSON.parse(readFileSync(join(projectRoot, 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dash.panels.length).toBeGreaterThanOrEqual(8);
    const tmp = tempDir();
    const app = await createApp(testConfig(tmp.dir), { inlineWriter: true });
    try {
      const text = String((await app.router.handle(get('/metrics'))).body);
      const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      for (const p of dash.panels) {
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets) {
          const names = [...t.expr.matchAll(/harmonizer_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
          expect(names.length, t.expr).toBeGreaterThan(0);
          for (const n of names) expect(exported.has(n), `${p.title}: ${n}`).toBe(true);
        }
      }
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});
