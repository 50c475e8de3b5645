import { describe, expect, it } from 'vitest';
import { stagedEvent, type ListenerSignal, type RejectedEvent } from '../../src/shared/jump-event.js';
import type { ContractContext } from './context.js';
import { sessionEvents } from './context.js';

const letter = (reason: string, items: number, received_at: number, raw = 'x'.repeat(200)): RejectedEvent => ({ received_at, reason, detail: '[{"index":0}]', raw, items });
const signal = (signal_id: string): ListenerSignal => ({
  signal_id, session_id: 's', track_id: 'demo', kind: 'skip', position_s: 2, beat_index: 4, after_jump_event_id: null, ms_since_jump: null, policy_mode: 'rl', client_ts: 1, received_at: 2,
});

/**
 * The ingest's write path (the writer's own statements, not part of StoreApi) on both stores: events
 * deduplicated within and across commits, signals once, one dead letter per refused body with its item
 * count, the dead-letter size cap dropping the oldest, and first-wins assignment.
 */
export function ingestContract(ctx: ContractContext): void {
  describe(`ingest write path (${ctx.backend})`, () => {
    it('events are stored once within and across commits, signals once, and reads see them', async () => {
      const s = await ctx.fresh();
      const w = await ctx.writer(s);
      try {
        const evs = sessionEvents(5);
        await w.writer.submit([...evs, evs[0]!].map(stagedEvent));
        await w.writer.submit(evs.slice(2).map(stagedEvent), [], [signal('sig-a'), signal('sig-a'), signal('sig-b')]);
        await w.writer.submit([], [], [signal('sig-b')]);
        expect(await s.events.count()).toBe(5);
        for (const e of evs) expect((await s.events.get(e.event_id))?.session_id).toBe(e.session_id);
        expect(await s.events.signalCounts()).toEqual([{ kind: 'skip', count: 2 }]);
        expect((await s.telemetry.totals()).events).toBe(5);
      } finally {
        await w.close();
      }
    });

    it('one dead letter per refused body, counted by its items, by reason and since a time', async () => {
      const s = await ctx.fresh();
      const w = await ctx.writer(s);
      try {
        await w.writer.submit([], [letter('invalid_event', 3, 1000), letter('invalid_json', 1, 2000)]);
        await w.writer.submit([], [letter('invalid_event', 2, 3000)]);
        expect((await s.telemetry.totals()).rejected).toBe(6);
        expect(await s.telemetry.rejectedByReason()).toEqual([
          { reason: 'invalid_event', count: 5 },
          { reason: 'invalid_json', count: 1 },
        ]);
        expect(await s.dashboard.rejectedSince(2000)).toBe(3);
        expect(w.dropped()).toBe(0);
      } finally {
        await w.close();
      }
    });

    it('the dead letters stay under the size cap: the oldest are dropped and counted', async () => {
      const s = await ctx.fresh();
      // Each letter costs about 64 + 13 + 13 + 2000 bytes: a 5 KB cap holds two.
      const w = await ctx.writer(s, { rejectedMaxBytes: 5000 });
      try {
        for (let i = 0; i < 5; i++) await w.writer.submit([], [letter(`r${i}`, 1, 1000 + i, 'y'.repeat(2000))]);
        expect(w.dropped()).toBe(3);
        expect((await s.telemetry.rejectedByReason()).map((r) => r.reason)).toEqual(['r3', 'r4']);
      } finally {
        await w.close();
      }
    });

    it('the first assignment of a session wins through the writer too', async () => {
      const s = await ctx.fresh();
      const w = await ctx.writer(s);
      try {
        const a = { session_id: 'w-1', arm: 'rl' as const, probability: 0.5, mode: 'split', eps: 0.1, model_version: null, reason: null, assigned_at: 1 };
        const [x, y] = await Promise.all([w.writer.assign(a), w.writer.assign({ ...a, arm: 'baseline', assigned_at: 2 })]);
        expect(x).toEqual(y);
        expect(await s.policy.get('w-1')).toEqual(x);
      } finally {
        await w.close();
      }
    });
  });
}
