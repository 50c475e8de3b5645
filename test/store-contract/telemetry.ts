import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { sessionEvents } from './context.js';

export function telemetryContract(ctx: ContractContext): void {
  describe(`telemetry (${ctx.backend})`, () => {
    it('an empty store counts nothing and still reports both arms', async () => {
      const s = await ctx.fresh();
      expect(await s.telemetry.totals()).toEqual({ events: 0, rejected: 0, sessions: 0 });
      expect(await s.telemetry.sessionSplit()).toEqual([
        { arm: 'baseline', sessions: 0, expected_sessions: 0 },
        { arm: 'rl', sessions: 0, expected_sessions: 0 },
      ]);
      expect(await s.telemetry.perArm()).toEqual([
        { arm: 'baseline', sessions: 0, expected_sessions: 0, events: 0 },
        { arm: 'rl', sessions: 0, expected_sessions: 0, events: 0 },
      ]);
      expect(await s.telemetry.sessionsWithEvents()).toEqual([]);
      expect(await s.telemetry.rejectedByReason()).toEqual([]);
      expect(await s.telemetry.eventsSince(0)).toBe(0);
    });

    it('events, sessions and expected sessions per arm; sessions with events; events since', async () => {
      const s = await ctx.fresh();
      const rl = sessionEvents(3, { policy_mode: 'rl' });
      const base = sessionEvents(2, { policy_mode: 'baseline' });
      const none = sessionEvents(1, { policy_mode: null } as never);
      await s.events.insertMany([...rl, ...base, ...none]);
      const assign = (session_id: string, arm: 'rl' | 'baseline', probability: number) =>
        s.policy.assignOnce({ session_id, arm, probability, mode: 'split', eps: 0.1, model_version: null, reason: null, assigned_at: 1 });
      await assign(rl[0]!.session_id, 'rl', 0.5);
      await assign(base[0]!.session_id, 'baseline', 0.25);
      await assign('never-played', 'rl', 0.5);
      expect(await s.telemetry.totals()).toEqual({ events: 6, rejected: 0, sessions: 3 });
      const split = await s.telemetry.sessionSplit();
      // rl: 0.5 + 0.5 (its own) + 0.75 (the baseline session's 1 - p); baseline: 0.25 + 0.5 + 0.5.
      expect(split).toEqual([
        { arm: 'baseline', sessions: 1, expected_sessions: 1.25 },
        { arm: 'rl', sessions: 2, expected_sessions: 1.75 },
      ]);
      const per = await s.telemetry.perArm();
      expect(per.find((a) => a.arm === 'rl')).toMatchObject({ events: 3, sessions: 2 });
      expect(per.find((a) => a.arm === 'baseline')).toMatchObject({ events: 2, sessions: 1 });
      expect(per.find((a) => a.arm === 'none')).toEqual({ arm: 'none', events: 1, sessions: 0, expected_sessions: 0 });
      expect(await s.telemetry.sessionsWithEvents()).toEqual([
        { arm: 'baseline', sessions: 1 },
        { arm: 'none', sessions: 1 },
        { arm: 'rl', sessions: 1 },
      ]);
      expect(await s.telemetry.eventsSince(rl[0]!.received_at + 1)).toBe(3); // rl[1], rl[2], base[1]
    });
  });
}
