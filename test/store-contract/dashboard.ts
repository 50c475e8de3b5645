import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { sessionEvents, storedEvent } from './context.js';

const byKey = <T extends { t: number; key: string }>(rows: T[]) => [...rows].sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

export function dashboardContract(ctx: ContractContext): void {
  describe(`dashboard (${ctx.backend})`, () => {
    it('an empty store: no series, nothing waiting, no first event', async () => {
      const s = await ctx.fresh();
      expect(await s.dashboard.decisionSeries(0, 60_000)).toEqual([]);
      expect(await s.dashboard.rewardSeries(0, 60_000)).toEqual([]);
      expect(await s.dashboard.labelSeries(0, 60_000)).toEqual([]);
      expect(await s.dashboard.renderSeries(0, 60_000)).toEqual([]);
      expect(await s.dashboard.enqueuedSeries(0, 60_000)).toEqual([]);
      expect(await s.dashboard.mixedArmSessions(0)).toBe(0);
      expect(await s.dashboard.rejectedSince(0)).toBe(0);
      expect(await s.dashboard.snippetBacklog()).toEqual({ waiting: 0, oldest_enqueued_at: null });
      expect(await s.dashboard.clipsWaiting()).toBe(0);
      expect(await s.dashboard.firstEventAt()).toBeNull();
      expect(await s.dashboard.worstJumps(0, 10)).toEqual([]);
    });

    it('decision series bucket by arrival and arm; mixed-arm sessions; first event', async () => {
      const s = await ctx.fresh();
      const t0 = 1_700_000_040_000; // a minute boundary: 1_700_000_040_000 / 60_000 is whole
      const sess = sessionEvents(1)[0]!.session_id;
      await s.events.insertMany([
        storedEvent({ session_id: `x${Math.random()}`, received_at: t0 + 1_000, policy_mode: 'rl' }),
        storedEvent({ session_id: `x${Math.random()}`, received_at: t0 + 59_000, policy_mode: 'rl' }),
        storedEvent({ session_id: `x${Math.random()}`, received_at: t0 + 61_000, policy_mode: 'baseline' }),
        storedEvent({ session_id: `x${Math.random()}`, received_at: t0 + 62_000, policy_mode: null } as never),
        storedEvent({ session_id: sess, received_at: t0 + 63_000, policy_mode: 'rl' }),
        storedEvent({ session_id: sess, received_at: t0 + 64_000, policy_mode: 'baseline' }),
      ]);
      expect(byKey(await s.dashboard.decisionSeries(t0, 60_000))).toEqual([
        { t: t0, key: 'rl', n: 2, sum: 0 },
        { t: t0 + 60_000, key: 'baseline', n: 2, sum: 0 },
        { t: t0 + 60_000, key: 'none', n: 1, sum: 0 },
        { t: t0 + 60_000, key: 'rl', n: 1, sum: 0 },
      ]);
      expect(await s.dashboard.decisionSeries(t0 + 60_000, 60_000)).toHaveLength(3);
      expect(await s.dashboard.mixedArmSessions(t0)).toBe(1);
      expect(await s.dashboard.mixedArmSessions(t0 + 63_500)).toBe(0);
      expect(await s.dashboard.firstEventAt()).toBe(t0 + 1_000);
    });

    it('snippet backlog, enqueued and render series, clips waiting', async () => {
      const s = await ctx.fresh();
      const events = sessionEvents(3);
      await s.events.insertMany(events);
      const now = 1_700_000_100_000;
      expect(await s.snippets.enqueueNew(now)).toBe(3);
      expect(await s.dashboard.snippetBacklog()).toEqual({ waiting: 3, oldest_enqueued_at: now });
      expect(await s.dashboard.enqueuedSeries(0, 60_000)).toEqual([{ t: Math.floor(now / 60_000) * 60_000, key: 'enqueued', n: 3, sum: 0 }]);
      const jobs = await s.snippets.claim('w1', 1, now + 1, 60_000);
      expect(jobs).toHaveLength(1);
      const meta = { path: 'x.wav', duration_s: 4, splice_offset_s: 2, pre_s: 2, post_s: 2, crossfade_ms: 30, render_ms: 5 };
      expect(await s.snippets.complete(jobs[0]!.event_id, 'w1', meta, now + 2)).toBe(true);
      expect(await s.dashboard.renderSeries(0, 60_000)).toEqual([{ t: Math.floor((now + 2) / 60_000) * 60_000, key: 'rendered', n: 1, sum: 0 }]);
      expect(await s.dashboard.snippetBacklog()).toEqual({ waiting: 2, oldest_enqueued_at: now });
      expect(await s.dashboard.clipsWaiting()).toBe(1);
      await s.labels.upsert({ event_id: jobs[0]!.event_id, labeler: 'ann', label: 'bad', time_spent_ms: 10, now: now + 3 });
      expect(await s.dashboard.clipsWaiting()).toBe(0);
      expect(await s.dashboard.labelSeries(0, 3_600_000)).toEqual([{ t: Math.floor((now + 3) / 3_600_000) * 3_600_000, key: 'ann', n: 1, sum: 0 }]);
    });

    it('reward series and the worst rendered jumps with their chosen features', async () => {
      const s = await ctx.fresh();
      const t0 = 1_700_000_040_000;
      const cands = (f: number) => [
        { target_index: 1, probability: 0.5, chosen: false, features: { similarity: 0.1 } },
        { target_index: 2, probability: 0.5, chosen: true, features: { similarity: f } },
      ];
      const a = storedEvent({ received_at: t0 + 1_000, policy_mode: 'rl', candidates: cands(0.9) as never });
      const b = storedEvent({ received_at: t0 + 2_000, policy_mode: 'rl', candidates: cands(0.2) as never });
      const c = storedEvent({ received_at: t0 + 3_000, policy_mode: 'baseline', candidates: null } as never);
      await s.events.insertMany([a, b, c]);
      const reward = (e: { event_id: string }, r: number, source: 'label' | 'implicit') =>
        s.bandit.setReward({ decision_id: `${e.event_id}:jump`, event_id: e.event_id, kind: 'jump', reward: r, source, weight: 1, detail: null, updated_at: t0 });
      await reward(a, 1, 'label');
      await reward(b, -1, 'label');
      await reward(c, 0.5, 'implicit');
      expect(byKey(await s.dashboard.rewardSeries(t0, 60_000))).toEqual([
        { t: t0, key: 'baseline|implicit', n: 1, sum: 0.5 },
        { t: t0, key: 'rl|label', n: 2, sum: 0 },
      ]);
      // Only rendered jumps are among the worst.
      await s.snippets.enqueueNew(t0);
      const jobs = await s.snippets.claim('w', 10, t0, 60_000);
      const meta = { path: 'x.wav', duration_s: 4, splice_offset_s: 2, pre_s: 2, post_s: 2, crossfade_ms: 30, render_ms: 5 };
      for (const j of jobs) if (j.event_id !== a.event_id) await s.snippets.complete(j.event_id, 'w', meta, t0 + 10);
      const worst = await s.dashboard.worstJumps(t0, 10);
      expect(worst.map((w) => [w.event_id, w.reward, w.source])).toEqual([
        [b.event_id, -1, 'label'],
        [c.event_id, 0.5, 'implicit'],
      ]);
      expect(JSON.parse(worst[0]!.chosen_features!)).toEqual({ similarity: 0.2 });
      expect(worst[1]!.chosen_features).toBeNull();
      expect(worst[0]).toMatchObject({ track_id: 'demo', received_at: t0 + 2_000, source_time: 5.25, target_time: 21, similarity: 0.87, span: 32, same_section: 0, policy_mode: 'rl' });
    });

    it('rejected counts since a time', async () => {
      const s = await ctx.fresh();
      expect(await s.dashboard.rejectedSince(Date.now() - 60_000)).toBe(0);
    });
  });
}
