import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dwellOutcome, jumpOutcome, labelReward, type RewardRules } from '../src/learn/rewards.js';
import { joinRewards } from '../src/learn/join.js';
import { Store, sqliteApi, type StoreApi } from '../src/store/index.js';
import type { JumpEvent, ListenerSignal } from '../src/shared/jump-event.js';
import { tempDir } from './support/env.js';

const rules: RewardRules = { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 2, implicitWeight: 1 };
const facts = (over: Partial<Parameters<typeof jumpOutcome>[0]> = {}) => ({ clientTs: 1000, receivedAt: 5000, linked: [], reachedNext: false, horizon: null, now: 6000, ...over });

describe('the reward rule', () => {
  it('labels: good 1, meh 0.5, bad 0, averaged over labelers', () => {
    expect(labelReward(['good'])).toBe(1);
    expect(labelReward(['good', 'meh', 'bad'])).toBe(0.5);
    expect(labelReward(['meh', 'bad'])).toBe(0.25);
    expect(() => labelReward([])).toThrow(RangeError);
  });

  it('a negative signal within the window is 0; at the window edge still 0; past it ignored', () => {
    for (const kind of ['skip', 'seek', 'force_jump', 'leave']) {
      expect(jumpOutcome(facts({ linked: [{ kind, client_ts: 3000, ms_since_jump: 2000 }] }), rules)).toMatchObject({ reward: 0, source: 'implicit', weight: 1, detail: kind });
    }
    expect(jumpOutcome(facts({ linked: [{ kind: 'seek', client_ts: 11_000, ms_since_jump: 10_000 }] }), rules).reward).toBe(0);
    const late = jumpOutcome(facts({ linked: [{ kind: 'seek', client_ts: 11_001, ms_since_jump: 10_001 }], horizon: 12_000 }), rules);
    expect(late).toMatchObject({ reward: 1, source: 'implicit' });
  });

  it('the next decision or the window passing while playing is 1; a pause gives no reward', () => {
    expect(jumpOutcome(facts({ reachedNext: true }), rules)).toMatchObject({ reward: 1, detail: 'next decision reached' });
    expect(jumpOutcome(facts({ horizon: 11_000 }), rules)).toMatchObject({ reward: 1, detail: 'window passed' });
    expect(jumpOutcome(facts({ horizon: 10_999 }), rules)).toMatchObject({ reward: null, source: 'pending' });
    expect(jumpOutcome(facts({ linked: [{ kind: 'pause', client_ts: 2000, ms_since_jump: 1000 }], reachedNext: true }), rules)).toMatchObject({ reward: null, source: 'none', detail: 'paused' });
  });

  it('a positive reward waits for the settle time (a signal may still be on the way); a 0 does not', () => {
    const settle = { ...rules, settleMs: 20_000 };
    expect(jumpOutcome(facts({ reachedNext: true, now: 5000 + 19_999 }), settle).source).toBe('pending');
    expect(jumpOutcome(facts({ reachedNext: true, now: 5000 + 20_000 }), settle)).toMatchObject({ reward: 1 });
    expect(jumpOutcome(facts({ linked: [{ kind: 'skip', client_ts: 2000, ms_since_jump: 1000 }], now: 5001 }), settle)).toMatchObject({ reward: 0 });
  });

  it('pending until the grace period, then no reward; no client time, no implicit reward', () => {
    expect(jumpOutcome(facts({ now: 5000 + 10_000 + 59_999 }), rules).source).toBe('pending');
    expect(jumpOutcome(facts({ now: 5000 + 10_000 + 60_000 }), rules)).toMatchObject({ reward: null, source: 'none' });
    expect(jumpOutcome(facts({ clientTs: null, reachedNext: true }), rules)).toMatchObject({ source: 'none', detail: 'no client time' });
  });

  it('a dwell is judged by the same signals, never by a label', () => {
    expect(dwellOutcome(facts({ reachedNext: true }), rules)).toMatchObject({ reward: 1, source: 'implicit' });
    expect(dwellOutcome(facts({ linked: [{ kind: 'force_jump', client_ts: 2000, ms_since_jump: 1000 }] }), rules)).toMatchObject({ reward: 0 });
  });
});

describe('the reward join on a real store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  /** The join runs on the store's interface; the tests seed and read through the synchronous store. */
  let api: StoreApi;
  beforeEach(() => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    api = sqliteApi(store, 'test');
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  const event = (id: string, session: string, clientTs: number, dwell = true): JumpEvent => ({
    event_id: id, session_id: session, track_id: 'demo', track_title: null, mode: 'jukebox', source_index: 10, target_index: 42,
    source_time: 5, target_time: 21, similarity: 0.9, span: 32, same_section: false, policy_mode: 'rl', model_version: 'cold-start',
    quality_score: null, propensity: 0.5,
    candidates: [
      { target_index: 42, features: { similarity: 0.9, span: 32 }, probability: 0.5, chosen: true },
      { target_index: 50, features: { similarity: 0.8, span: 40 }, probability: 0.5, chosen: false },
    ],
    settings: null,
    context: dwell ? { dwell: { index: 2, bars: 2, beats: 8, probabilities: [0.2, 0.2, 0.2, 0.2, 0.2], scores: [0, 0, 0, 0, 0], propensity: 0.2, policy_version: 'cold-start' } } : {},
    client_ts: clientTs, received_at: 1000,
  });
  const signal = (id: string, session: string, kind: ListenerSignal['kind'], clientTs: number, after: string | null, ms: number | null): ListenerSignal => ({
    signal_id: id, session_id: session, track_id: 'demo', kind, position_s: 1, beat_index: 1, after_jump_event_id: after, ms_since_jump: ms, policy_mode: 'rl', client_ts: clientTs, received_at: 1000,
  });
  const reward = (id: string) => store.bandit.getReward(id);
  const log = () => store.db.prepare('SELECT decision_id, reward, prev_reward, source FROM reward_log ORDER BY seq').all();

  it('registers both decisions, resolves them from signals and the session time line, and is idempotent', async () => {
    store.events.insertMany([event('e1', 's1', 10_000), event('e2', 's1', 14_000), event('e3', 's2', 10_000, false)]);
    store.events.insertSignal(signal('g1', 's1', 'seek', 15_000, 'e2', 1000));
    const r1 = await joinRewards(api, rules, 2000);
    expect(r1.registered).toBe(5); // e1, e1#dwell, e2, e2#dwell, e3 (no dwell logged)
    expect(reward('e1')).toMatchObject({ reward: 1, source: 'implicit', detail: 'next decision reached' });
    expect(reward('e1#dwell')).toMatchObject({ reward: 1, kind: 'dwell' });
    expect(reward('e2')).toMatchObject({ reward: 0, detail: 'seek' });
    expect(reward('e2#dwell')).toMatchObject({ reward: 0 });
    expect(reward('e3')).toMatchObject({ source: 'pending', reward: null });
    const before = log();
    expect(before).toHaveLength(4);
    // Run again: nothing changes, nothing is logged.
    expect(await joinRewards(api, rules, 2000)).toMatchObject({ registered: 0, logged: 0 });
    expect(log()).toEqual(before);
    // The window passes in s2's time line (a later signal): e3 becomes 1.
    store.events.insertSignal(signal('g2', 's2', 'resume', 20_000, null, null));
    await joinRewards(api, rules, 2000);
    expect(reward('e3')).toMatchObject({ reward: 1, detail: 'window passed' });
  });

  it('a label replaces the implicit reward (a late label too), and an undone label hands it back', async () => {
    store.events.insertMany([event('e1', 's1', 10_000), event('e2', 's1', 14_000)]);
    await joinRewards(api, rules, 2000);
    expect(reward('e1')).toMatchObject({ reward: 1, source: 'implicit', weight: 1 });
    store.labels.upsert({ event_id: 'e1', labeler: 'ann', label: 'bad', time_spent_ms: null, now: 3000 });
    store.labels.upsert({ event_id: 'e1', labeler: 'bob', label: 'meh', time_spent_ms: null, now: 3000 });
    await joinRewards(api, rules, 3000);
    expect(reward('e1')).toMatchObject({ reward: 0.25, source: 'label', weight: 2 });
    expect(reward('e1#dwell')).toMatchObject({ reward: 1, source: 'implicit' }); // labels judge the jump only
    // The learner sees the change as one entry that replaces the implicit reward.
    expect(log().at(-1)).toEqual({ decision_id: 'e1', reward: 0.25, prev_reward: 1, source: 'label' });
    store.labels.undo('bob', 4000, 1000);
    store.labels.undo('ann', 4000, 1000);
    await joinRewards(api, rules, 4000); // back to pending (a retraction), resolved again on the next pass
    await joinRewards(api, rules, 4000);
    expect(reward('e1')).toMatchObject({ reward: 1, source: 'implicit' });
    expect(log().slice(-2)).toEqual([
      { decision_id: 'e1', reward: null, prev_reward: 0.25, source: 'pending' },
      { decision_id: 'e1', reward: 1, prev_reward: null, source: 'implicit' },
    ]);
  });

  it('with a labels fingerprint the label step runs only when labels changed, and still sees every change', async () => {
    store.events.insertMany([event('e1', 's1', 10_000), event('e2', 's1', 14_000)]);
    const labels = { fingerprint: null as string | null };
    await joinRewards(api, rules, 2000, { labels });
    expect(labels.fingerprint).toBe('0');
    store.labels.upsert({ event_id: 'e2', labeler: 'ann', label: 'good', time_spent_ms: null, now: 3000 });
    expect((await joinRewards(api, rules, 3000, { labels })).labels).toBe(1);
    expect(reward('e2')).toMatchObject({ reward: 1, source: 'label' });
    expect((await joinRewards(api, rules, 3000, { labels })).labels).toBe(0); // unchanged: skipped
    store.labels.upsert({ event_id: 'e2', labeler: 'ann', label: 'bad', time_spent_ms: null, now: 3500 });
    await joinRewards(api, rules, 3500, { labels });
    expect(reward('e2')).toMatchObject({ reward: 0, source: 'label' });
    // A change at an earlier clock reading (a clock stepped back) is still seen.
    store.labels.upsert({ event_id: 'e2', labeler: 'ann', label: 'good', time_spent_ms: null, now: 1000 });
    await joinRewards(api, rules, 3600, { labels });
    expect(reward('e2')).toMatchObject({ reward: 1, source: 'label' });
    store.labels.undo('ann', 4000, 1000);
    await joinRewards(api, rules, 4000, { labels });
    expect(reward('e2')).toMatchObject({ source: 'pending', detail: 'label taken back' });
  });

  it('a full batch of decisions that must wait is not "more" (no busy loop); a settle longer than the grace still ends in 1', async () => {
    const slow = { ...rules, settleMs: 120_000 };
    store.events.insertMany(Array.from({ length: 12 }, (_, i) => event(`w${i}`, 'sw', 10_000 + i * 1000, false)));
    expect((await joinRewards(api, slow, 2000, { batch: 12 })).more).toBe(true); // registration filled the batch
    expect(await joinRewards(api, slow, 2000, { batch: 12 })).toMatchObject({ more: false, resolved: 0 });
    // 100 s later: past window + grace (70 s) but not settled: still pending, not "none".
    await joinRewards(api, slow, 1000 + 100_000, { batch: 12 });
    expect(reward('w0')).toMatchObject({ source: 'pending' });
    await joinRewards(api, slow, 1000 + 120_000, { batch: 12 });
    expect(reward('w0')).toMatchObject({ reward: 1, source: 'implicit' });
  });

  it('events without readable candidates are not bandit decisions', async () => {
    store.events.insertMany([{ ...event('x1', 's1', 1), candidates: null, context: null }, { ...event('x2', 's1', 2, false), candidates: [{ target_index: 42 }] }]);
    expect((await joinRewards(api, rules, 0)).registered).toBe(0);
  });
});
