import { describe, expect, it } from 'vitest';
import type { Assignment } from '../../src/store/index.js';
import type { ContractContext } from './context.js';

const assignment = (over: Partial<Assignment> = {}): Assignment => ({
  session_id: 'sess-1', arm: 'rl', probability: 0.5, mode: 'split', eps: 0.1, model_version: 'm1', reason: null, assigned_at: 1000, ...over,
});

export function policyContract(ctx: ContractContext): void {
  describe(`policy (${ctx.backend})`, () => {
    it('the first assignment of a session wins, concurrent ones included', async () => {
      const s = await ctx.fresh();
      expect(await s.policy.get('sess-1')).toBeUndefined();
      const first = await s.policy.assignOnce(assignment());
      expect(first).toEqual(assignment());
      expect(await s.policy.assignOnce(assignment({ arm: 'baseline', assigned_at: 2000 }))).toEqual(assignment());
      expect(await s.policy.get('sess-1')).toEqual(assignment());
      const racing = await Promise.all(['baseline', 'rl', 'baseline', 'rl'].map((arm, i) => s.policy.assignOnce(assignment({ session_id: 'sess-2', arm: arm as 'rl', assigned_at: i }))));
      expect(new Set(racing.map((r) => JSON.stringify(r))).size).toBe(1);
    });

    it('armEvidence is zero without labels', async () => {
      const s = await ctx.fresh();
      expect(await s.policy.armEvidence()).toEqual({ baseline: { labels: 0, good: 0 }, rl: { labels: 0, good: 0 } });
    });
  });
}
