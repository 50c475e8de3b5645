import { describe, expect, it } from 'vitest';
import type { PolicyRow, StoreApi } from '../../src/store/index.js';
import { joinRewards } from '../../src/learn/join.js';
import type { PgStore } from '../../src/store/pg/store.js';
import { withLateCommit } from './fixtures-pg.js';
import type { ContractContext } from './context.js';
import { waitFor } from '../support/wait.js';
import { decisionEvent, dropLabel, putLabel, rewardRow, signal } from './fixtures-bandit.js';

const policy = (version: string, lastSeq: number, over: Partial<PolicyRow> = {}): PolicyRow => ({
  version, created_at: `2026-12-01T00:00:0${lastSeq % 10}Z`, status: 'candidate', first_seq: 1, last_seq: lastSeq, rewards: lastSeq, reason: 'published', evaluation: null, policy_json: `{"v":"${version}"}`, ...over,
});

const rules = { windowMs: 10_000, settleMs: 0, graceMs: 60_000, labelWeight: 2, implicitWeight: 1 };

/** The reward log without its times, in seq order. */
async function logOf(s: StoreApi) {
  return (await s.bandit.logAfter(0, 1000)).map((e) => ({ seq: e.seq, decision_id: e.decision_id, reward: e.reward, weight: e.weight, prev_reward: e.prev_reward, prev_weight: e.prev_weight, source: e.source }));
}

export function banditContract(ctx: ContractContext): void {
  describe(`bandit (${ctx.backend})`, () => {
    it('decisionsAfter lists jump events after an id in id order; the join cursor starts at 0 and is set', async () => {
      const s = await ctx.fresh();
      const [a, b, c] = [decisionEvent({ client_ts: 10 }), decisionEvent({ client_ts: null }), decisionEvent({ propensity: null })];
      await s.events.insertMany([a, b, c]);
      const all = await s.bandit.decisionsAfter(0, 10);
      expect(all.map((d) => d.event_id)).toEqual([a.event_id, b.event_id, c.event_id]);
      expect(all[0]).toEqual({
        id: all[0]!.id, event_id: a.event_id, session_id: a.session_id, policy_mode: 'rl', model_version: null, target_index: 42, propensity: 0.5, client_ts: 10,
        received_at: a.received_at, candidates: JSON.stringify(a.candidates), context: JSON.stringify(a.context),
      });
      expect(all[1]!.client_ts).toBeNull();
      expect(all[2]!.propensity).toBeNull();
      expect((await s.bandit.decisionsAfter(all[0]!.id, 1)).map((d) => d.event_id)).toEqual([b.event_id]);
      expect(await s.bandit.joinCursor()).toBe(0);
      await s.bandit.setJoinCursor(all[1]!.id);
      expect(await s.bandit.joinCursor()).toBe(all[1]!.id);
    });

    // Several ingest nodes commit out of id order: the join cursor must not pass an event still committing.
    it.skipIf(ctx.backend !== 'postgres')('decisionsAfter does not pass an event committing below a visible one (PostgreSQL)', async () => {
      const s = (await ctx.fresh()) as PgStore;
      await withLateCommit(s, async () => {
        expect(await s.bandit.decisionsAfter(0, 10)).toEqual([]);
      });
      const rows = await waitFor(async () => {
        const r = await s.bandit.decisionsAfter(0, 10);
        return r.length > 0 ? r : undefined;
      }, 5000, 100);
      expect(rows.map((r) => r.event_id)).toEqual(['slow-1', 'fast-2']);
    });

    it('setReward logs only a change of value or weight, with the previous value; getReward and rewardsByIds read it back', async () => {
      const s = await ctx.fresh();
      const e = decisionEvent();
      await s.events.insertMany([e]);
      const id = e.event_id;
      expect(await s.bandit.getReward(id)).toBeUndefined();
      expect(await s.bandit.setReward(rewardRow({ decision_id: id, event_id: id }))).toBe(false); // pending: nothing to learn
      expect(await s.bandit.setReward(rewardRow({ decision_id: id, event_id: id, reward: 1, source: 'implicit', detail: 'x' }))).toBe(true);
      expect(await s.bandit.setReward(rewardRow({ decision_id: id, event_id: id, reward: 1, source: 'implicit', detail: 'y' }))).toBe(false); // same value
      expect(await s.bandit.setReward(rewardRow({ decision_id: id, event_id: id, reward: 1, source: 'label', weight: 2 }))).toBe(true); // weight changed
      expect(await s.bandit.setReward(rewardRow({ decision_id: id, event_id: id, reward: null, source: 'pending', detail: 'taken back' }))).toBe(true);
      expect(await s.bandit.getReward(id)).toEqual({ decision_id: id, event_id: id, kind: 'jump', reward: null, source: 'pending', weight: 1, detail: 'taken back', updated_at: 1000 });
      expect((await logOf(s)).map(({ seq: _seq, ...r }) => r)).toEqual([
        { decision_id: id, reward: 1, weight: 1, prev_reward: null, prev_weight: null, source: 'implicit' },
        { decision_id: id, reward: 1, weight: 2, prev_reward: 1, prev_weight: 1, source: 'label' },
        { decision_id: id, reward: null, weight: 0, prev_reward: 1, prev_weight: 2, source: 'pending' },
      ]);
      const seqs = (await logOf(s)).map((l) => l.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(await s.bandit.lastSeq()).toBe(seqs[2]);
      const withEvent = await s.bandit.logAfter(seqs[0]!, 1);
      expect(withEvent).toHaveLength(1);
      expect(withEvent[0]).toMatchObject({ seq: seqs[1], event_id: id, kind: 'jump', logged_at: 1000, target_index: 42, candidates: JSON.stringify(e.candidates), context: JSON.stringify(e.context) });
      expect(await s.bandit.rewardsByIds([])).toEqual([]);
      expect((await s.bandit.rewardsByIds([id, 'nope'])).map((r) => r.decision_id)).toEqual([id]);
    });

    it('lastSeq is 0 on an empty log; concurrent setReward calls keep the log in commit order', async () => {
      const s = await ctx.fresh();
      expect(await s.bandit.lastSeq()).toBe(0);
      const events = Array.from({ length: 20 }, () => decisionEvent());
      await s.events.insertMany(events);
      await Promise.all(events.map((e, i) => s.bandit.setReward(rewardRow({ decision_id: e.event_id, event_id: e.event_id, reward: i % 2, source: 'implicit' }))));
      const log = await logOf(s);
      expect(log).toHaveLength(20);
      expect(new Set(log.map((l) => l.decision_id)).size).toBe(20);
      expect(await s.bandit.lastSeq()).toBe(Math.max(...log.map((l) => l.seq)));
    });

    it('applyJoin writes a change only over the state it read, logs like setReward, is idempotent, and moves the cursor forward only', async () => {
      const s = await ctx.fresh();
      const [a, b] = [decisionEvent(), decisionEvent()];
      await s.events.insertMany([a, b]);
      const [ea, eb] = await s.bandit.decisionsAfter(0, 10);
      const pa = rewardRow({ decision_id: a.event_id, event_id: a.event_id });
      const ra = { ...pa, reward: 1, source: 'implicit' as const, detail: 'next' };
      const changes = {
        cursor: eb!.id,
        changes: [
          { expect: null, row: pa },
          { expect: { reward: null, source: 'pending' as const, weight: 1, detail: null }, row: ra },
          { expect: null, row: rewardRow({ decision_id: b.event_id, event_id: b.event_id }) },
        ],
      };
      expect(await s.bandit.applyJoin(changes)).toEqual({ applied: 3, logged: 1, conflicts: 0 });
      expect(await s.bandit.joinCursor()).toBe(eb!.id);
      expect(await s.bandit.getReward(a.event_id)).toMatchObject({ reward: 1, source: 'implicit', detail: 'next' });
      // The same pass again: the rows are no longer what it read; nothing is written or logged twice.
      expect(await s.bandit.applyJoin(changes)).toEqual({ applied: 0, logged: 0, conflicts: 3 });
      expect(await logOf(s)).toHaveLength(1);
      // A stale change (computed from pending while the row became implicit) is refused, not applied.
      const stale = { cursor: ea!.id, changes: [{ expect: { reward: null, source: 'pending' as const, weight: 1, detail: null }, row: { ...ra, reward: 0, detail: 'skip' } }] };
      expect(await s.bandit.applyJoin(stale)).toEqual({ applied: 0, logged: 0, conflicts: 1 });
      expect(await s.bandit.getReward(a.event_id)).toMatchObject({ reward: 1 });
      expect(await s.bandit.joinCursor()).toBe(eb!.id); // never backwards
      // Changes of one decision chained in one pass reach the log in their order.
      const rb = rewardRow({ decision_id: b.event_id, event_id: b.event_id });
      const chain = [0, 1, 0.5].map((reward, i) => ({ ...rb, reward, source: 'implicit' as const, detail: `step ${i}` }));
      const chained = { cursor: null, changes: chain.map((row, i) => ({ expect: i === 0 ? { reward: null, source: 'pending' as const, weight: 1, detail: null } : { reward: chain[i - 1]!.reward, source: 'implicit' as const, weight: 1, detail: `step ${i - 1}` }, row })) };
      expect(await s.bandit.applyJoin(chained)).toEqual({ applied: 3, logged: 3, conflicts: 0 });
      expect((await logOf(s)).slice(-3).map((l) => [l.reward, l.prev_reward])).toEqual([[0, null], [1, 0], [0.5, 1]]);
      expect(await s.bandit.getReward(b.event_id)).toMatchObject({ reward: 0.5, detail: 'step 2' });
      // A change that writes what is there is skipped without a conflict.
      expect(await s.bandit.applyJoin({ cursor: null, changes: [{ expect: { reward: 1, source: 'implicit', weight: 1, detail: 'next' }, row: ra }] })).toEqual({ applied: 0, logged: 0, conflicts: 0 });
    });

    it('pending, pendingCount, labelRewards and rewardCounts read the rewards by source', async () => {
      const s = await ctx.fresh();
      const [a, b, c] = [decisionEvent(), decisionEvent(), decisionEvent({ policy_mode: null })];
      await s.events.insertMany([a, b, c]);
      await s.bandit.setReward(rewardRow({ decision_id: `${b.event_id}#dwell`, event_id: b.event_id, kind: 'dwell' }));
      await s.bandit.setReward(rewardRow({ decision_id: a.event_id, event_id: a.event_id }));
      await s.bandit.setReward(rewardRow({ decision_id: b.event_id, event_id: b.event_id, reward: 0.5, source: 'label', weight: 2 }));
      await s.bandit.setReward(rewardRow({ decision_id: c.event_id, event_id: c.event_id, reward: 1, source: 'implicit' }));
      await s.bandit.setReward(rewardRow({ decision_id: `${c.event_id}#dwell`, event_id: c.event_id, kind: 'dwell', source: 'none' }));
      const pend = await s.bandit.pending(10);
      expect(pend.map((p) => p.decision_id)).toEqual([a.event_id, `${b.event_id}#dwell`]); // by event id
      expect(pend[0]).toMatchObject({ kind: 'jump', source: 'pending', session_id: a.session_id, target_index: 42, received_at: a.received_at, candidates: JSON.stringify(a.candidates) });
      expect(await s.bandit.pending(1)).toHaveLength(1);
      expect(await s.bandit.pendingCount()).toBe(2);
      expect((await s.bandit.labelRewards()).map((r) => r.decision_id)).toEqual([b.event_id]);
      expect(await s.bandit.rewardCounts()).toEqual([
        { kind: 'dwell', source: 'none', count: 1, mean: null },
        { kind: 'dwell', source: 'pending', count: 1, mean: null },
        { kind: 'jump', source: 'implicit', count: 1, mean: 1 },
        { kind: 'jump', source: 'label', count: 1, mean: 0.5 },
        { kind: 'jump', source: 'pending', count: 1, mean: null },
      ]);
      expect(await s.bandit.rewardsByArm()).toEqual([
        { arm: 'none', kind: 'jump', count: 1, mean: 1 },
        { arm: 'rl', kind: 'jump', count: 1, mean: 0.5 },
      ]);
    });

    it('evaluationRows: rewarded decisions newest first, kind within an event, since and limit', async () => {
      const s = await ctx.fresh();
      const [a, b] = [decisionEvent({ received_at: 100 }), decisionEvent({ received_at: 200 })];
      await s.events.insertMany([a, b]);
      for (const e of [a, b]) {
        await s.bandit.setReward(rewardRow({ decision_id: e.event_id, event_id: e.event_id, reward: 1, source: 'implicit' }));
        await s.bandit.setReward(rewardRow({ decision_id: `${e.event_id}#dwell`, event_id: e.event_id, kind: 'dwell', reward: 0, source: 'implicit' }));
      }
      await s.bandit.setReward(rewardRow({ decision_id: 'x', event_id: a.event_id })); // no reward: left out
      const rows = await s.bandit.evaluationRows({ limit: 10 });
      expect(rows.map((r) => [r.decision_id, r.kind])).toEqual([[`${b.event_id}#dwell`, 'dwell'], [b.event_id, 'jump'], [`${a.event_id}#dwell`, 'dwell'], [a.event_id, 'jump']]);
      expect(rows[1]).toMatchObject({ reward: 1, source: 'implicit', event_id: b.event_id, policy_mode: 'rl', received_at: 200, target_index: 42 });
      expect(await s.bandit.evaluationRows({ limit: 10, sinceMs: 150 })).toHaveLength(2);
      expect(await s.bandit.evaluationRows({ limit: 1 })).toHaveLength(1);
    });

    it('signalsAfter, sessionHorizon and hasLaterDecision read the session time line', async () => {
      const s = await ctx.fresh();
      const a = decisionEvent({ session_id: 'sx', client_ts: 1000 });
      const b = decisionEvent({ session_id: 'sx', client_ts: 5000 });
      await s.events.insertMany([a, b]);
      expect(await s.bandit.sessionHorizon('nobody')).toBeNull();
      expect(await s.bandit.sessionHorizon('sx')).toBe(5000);
      await s.events.insertSignal(signal('g2', 'sx', 'seek', 9000, a.event_id, 800) as never);
      await s.events.insertSignal(signal('g1', 'sx', 'pause', 7000, a.event_id, null) as never);
      expect(await s.bandit.sessionHorizon('sx')).toBe(9000);
      expect(await s.bandit.signalsAfter(a.event_id)).toEqual([
        { kind: 'seek', client_ts: 9000, ms_since_jump: 800 },
        { kind: 'pause', client_ts: 7000, ms_since_jump: null },
      ]);
      expect(await s.bandit.signalsAfter(b.event_id)).toEqual([]);
      expect(await s.bandit.hasLaterDecision('sx', 1000)).toBe(true);
      expect(await s.bandit.hasLaterDecision('sx', 5000)).toBe(false);
      // joinFacts: the same three facts for many events at once.
      const c = decisionEvent({ session_id: 'sy', client_ts: null });
      await s.events.insertMany([c]);
      const facts = (await s.bandit.joinFacts([b.event_id, a.event_id, c.event_id, 'nope'])).sort((x, y) => (x.event_id < y.event_id ? -1 : 1));
      expect(facts).toEqual(
        [
          { event_id: a.event_id, linked: [{ kind: 'seek', client_ts: 9000, ms_since_jump: 800 }, { kind: 'pause', client_ts: 7000, ms_since_jump: null }], reached_next: true, horizon: 9000 },
          { event_id: b.event_id, linked: [], reached_next: false, horizon: 9000 },
          { event_id: c.event_id, linked: [], reached_next: false, horizon: null },
        ].sort((x, y) => (x.event_id < y.event_id ? -1 : 1)),
      );
      expect(await s.bandit.joinFacts([])).toEqual([]);
    });

    it('labelsByEvent groups the labels per event in byte order; the fingerprint changes with every label change', async () => {
      const s = await ctx.fresh();
      const f0 = await s.bandit.labelsFingerprint();
      expect(f0).toBe('0');
      await putLabel(s, 'ev-b', 'ann', 'good');
      await putLabel(s, 'ev-B', 'ann', 'bad');
      await putLabel(s, 'ev-b', 'bob', 'meh');
      const f1 = await s.bandit.labelsFingerprint();
      expect(f1).not.toBe(f0);
      const by = await s.bandit.labelsByEvent();
      expect(by.map((l) => l.event_id)).toEqual(['ev-B', 'ev-b']);
      expect(by[1]!.labels.split(',').sort()).toEqual(['good', 'meh']);
      await putLabel(s, 'ev-b', 'bob', 'bad');
      const f2 = await s.bandit.labelsFingerprint();
      expect(f2).not.toBe(f1);
      await dropLabel(s, 'ev-B', 'ann');
      expect(await s.bandit.labelsFingerprint()).not.toBe(f2);
      expect((await s.bandit.labelsByEvent()).map((l) => l.event_id)).toEqual(['ev-b']);
    });

    it('policies: insert once, activate one at a time, verdicts, the newest candidate, listing and reset', async () => {
      const s = await ctx.fresh();
      expect(await s.bandit.activePolicy()).toBeUndefined();
      expect(await s.bandit.activePolicyVersion()).toBeNull();
      expect(await s.bandit.latestCandidate()).toBeUndefined();
      await s.bandit.insertPolicy(policy('p1', 10));
      await s.bandit.insertPolicy(policy('p1', 99, { reason: 'again' })); // ignored
      await s.bandit.insertPolicy(policy('p2', 20));
      await s.bandit.insertPolicy(policy('p3', 20, { created_at: '2026-12-01T00:00:09Z' }));
      expect(await s.bandit.latestCandidate()).toMatchObject({ last_seq: 20 });
      await s.bandit.activate('p1', 'promoted: first');
      await s.bandit.setPolicyVerdict('p1', 'promoted: first', '{"d":1}');
      expect(await s.bandit.activePolicy()).toEqual({ ...policy('p1', 10), status: 'active', reason: 'promoted: first', evaluation: '{"d":1}' });
      await s.bandit.activate('p2', 'promoted: second');
      expect(await s.bandit.activePolicy()).toMatchObject({ version: 'p2', reason: 'promoted: second' });
      expect(await s.bandit.activePolicyVersion()).toBe('p2');
      expect((await s.bandit.policies()).map((p) => [p.version, p.status])).toEqual([['p3', 'candidate'], ['p2', 'active'], ['p1', 'retired']]);
      expect(await s.bandit.policies(1)).toHaveLength(1);
      expect(await s.bandit.latestCandidate()).toMatchObject({ version: 'p3' });
      // Concurrent activations leave exactly one active policy.
      await Promise.all(['p1', 'p3', 'p1', 'p3'].map((v) => s.bandit.activate(v, 'race')));
      expect((await s.bandit.policies()).filter((p) => p.status === 'active')).toHaveLength(1);

      const e = decisionEvent();
      await s.events.insertMany([e]);
      await s.bandit.setReward(rewardRow({ decision_id: e.event_id, event_id: e.event_id, reward: 1, source: 'implicit' }));
      await s.bandit.setJoinCursor(5);
      await s.bandit.reset({ rewards: false });
      expect(await s.bandit.policies()).toEqual([]);
      expect(await s.bandit.lastSeq()).toBeGreaterThan(0);
      await s.bandit.reset({ rewards: true });
      expect(await s.bandit.lastSeq()).toBe(0);
      expect(await s.bandit.getReward(e.event_id)).toBeUndefined();
      expect(await s.bandit.joinCursor()).toBe(0);
    });

    it('the reward join gives the same rewards and the same log through the interface', async () => {
      const s = await ctx.fresh();
      const e1 = decisionEvent({ session_id: 's1', client_ts: 10_000, received_at: 1000 });
      const e2 = decisionEvent({ session_id: 's1', client_ts: 14_000, received_at: 1000 });
      await s.events.insertMany([e1, e2]);
      await s.events.insertSignal(signal('g1', 's1', 'seek', 15_000, e2.event_id, 1000) as never);
      const labels = { fingerprint: null as string | null };
      expect(await joinRewards(s, rules, 2000, { labels })).toMatchObject({ registered: 4, resolved: 4, logged: 4, more: false });
      expect(await s.bandit.getReward(e1.event_id)).toMatchObject({ reward: 1, source: 'implicit', detail: 'next decision reached' });
      expect(await s.bandit.getReward(e2.event_id)).toMatchObject({ reward: 0, detail: 'seek' });
      expect(await joinRewards(s, rules, 2000, { labels })).toMatchObject({ registered: 0, resolved: 0, labels: 0, logged: 0 });
      await putLabel(s, e1.event_id, 'ann', 'bad');
      await putLabel(s, e1.event_id, 'bob', 'meh');
      expect(await joinRewards(s, rules, 3000, { labels })).toMatchObject({ labels: 1, logged: 1 });
      expect(await s.bandit.getReward(e1.event_id)).toMatchObject({ reward: 0.25, source: 'label', weight: 2 });
      await dropLabel(s, e1.event_id, 'ann');
      await dropLabel(s, e1.event_id, 'bob');
      await joinRewards(s, rules, 4000, { labels });
      await joinRewards(s, rules, 4000, { labels });
      expect(await s.bandit.getReward(e1.event_id)).toMatchObject({ reward: 1, source: 'implicit' });
      expect((await logOf(s)).slice(-3).map((l) => [l.decision_id, l.reward, l.prev_reward, l.source])).toEqual([
        [e1.event_id, 0.25, 1, 'label'],
        [e1.event_id, null, 0.25, 'pending'],
        [e1.event_id, 1, null, 'implicit'],
      ]);
    });
  });
}
