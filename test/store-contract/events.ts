import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { sessionEvents, storedEvent } from './context.js';

export function eventsContract(ctx: ContractContext): void {
  describe(`events (${ctx.backend})`, () => {
    it('insertMany stores each event_id once, get returns it as sent, exists and count agree', async () => {
      const s = await ctx.fresh();
      const [a, b] = sessionEvents(2, { same_section: true, context: { trigger: 'random', n: [1, 2] } });
      expect(await s.events.insertMany([a!, b!, a!])).toEqual({ inserted: 2, duplicates: 1 });
      expect(await s.events.insertMany([b!])).toEqual({ inserted: 0, duplicates: 1 });
      expect(await s.events.count()).toBe(2);
      expect(await s.events.exists(a!.event_id)).toBe(true);
      expect(await s.events.exists('nope')).toBe(false);
      expect(await s.events.get('nope')).toBeUndefined();
      const got = await s.events.get(a!.event_id);
      expect(got).toMatchObject({ event_id: a!.event_id, session_id: a!.session_id, same_section: true, context: { trigger: 'random', n: [1, 2] }, candidates: a!.candidates, settings: a!.settings, source_index: 10, similarity: 0.87, received_at: a!.received_at });
      expect(await s.events.recentIds(1)).toEqual([b!.event_id]);
      expect(await s.events.recentIds(5)).toEqual([b!.event_id, a!.event_id]);
    });

    it('null columns stay null; same_section false stays false', async () => {
      const s = await ctx.fresh();
      const e = storedEvent({ similarity: null, same_section: false, candidates: null, context: null, policy_mode: null, propensity: null } as never);
      await s.events.insertMany([e]);
      expect(await s.events.get(e.event_id)).toMatchObject({ similarity: null, same_section: false, candidates: null, context: null, policy_mode: null, propensity: null });
    });

    it('listener signals are stored once per signal_id and counted by kind', async () => {
      const s = await ctx.fresh();
      const base = { session_id: 's', track_id: 'demo', position_s: 3.5, beat_index: 7, after_jump_event_id: null, ms_since_jump: null, policy_mode: 'rl', client_ts: 1, received_at: 2 };
      expect(await s.events.insertSignal({ ...base, signal_id: 'x1', kind: 'pause' } as never)).toBe(true);
      expect(await s.events.insertSignal({ ...base, signal_id: 'x1', kind: 'pause' } as never)).toBe(false);
      expect(await s.events.insertSignal({ ...base, signal_id: 'x2', kind: 'skip' } as never)).toBe(true);
      expect(await s.events.insertSignal({ ...base, signal_id: 'x3', kind: 'pause' } as never)).toBe(true);
      expect(await s.events.signalCounts()).toEqual([{ kind: 'pause', count: 2 }, { kind: 'skip', count: 1 }]);
    });
  });
}
