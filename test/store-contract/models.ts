import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { decisionEvent, putLabel } from './fixtures-bandit.js';

const meta = (version: string, created_at: string) => ({ version, created_at, n_examples: 30, data_hash: `h-${version}`, training_ms: 12.5, metrics: { auc: 0.7, version } });

export function modelsContract(ctx: ContractContext): void {
  describe(`models (${ctx.backend})`, () => {
    it('record keeps one active model, list is newest first, a re-recorded version is replaced', async () => {
      const s = await ctx.fresh();
      expect(await s.models.active()).toBeUndefined();
      expect(await s.models.activeVersion()).toBeNull();
      expect(await s.models.list()).toEqual([]);
      await s.models.record(meta('m1', '2026-12-01T00:00:01Z'), '{"version":"m1"}', true, 'beats the baseline');
      await s.models.record(meta('m2', '2026-12-01T00:00:02Z'), '{"version":"m2"}', false, 'worse');
      expect(await s.models.active()).toEqual({
        version: 'm1', created_at: '2026-12-01T00:00:01Z', promoted: 1, active: 1, reason: 'beats the baseline', n_examples: 30, data_hash: 'h-m1', training_ms: 12.5,
        metrics: JSON.stringify({ auc: 0.7, version: 'm1' }), model_json: '{"version":"m1"}',
      });
      await s.models.record(meta('m3', '2026-12-01T00:00:03Z'), '{"version":"m3"}', true, 'better');
      expect((await s.models.active())?.version).toBe('m3');
      expect(await s.models.activeVersion()).toBe('m3');
      expect((await s.models.list()).map((m) => [m.version, m.active, m.promoted])).toEqual([['m3', 1, 1], ['m2', 0, 0], ['m1', 0, 1]]);
      expect(await s.models.list(1)).toHaveLength(1);
      await s.models.record(meta('m2', '2026-12-01T00:00:04Z'), '{"version":"m2","again":true}', true, 'retrained');
      expect(await s.models.active()).toMatchObject({ version: 'm2', created_at: '2026-12-01T00:00:04Z', reason: 'retrained', model_json: '{"version":"m2","again":true}' });
      expect(await s.models.list()).toHaveLength(3);
      // Concurrent promotions leave exactly one active model.
      await Promise.all(['a', 'b', 'c', 'd'].map((v, i) => s.models.record(meta(v, `2026-12-02T00:00:0${i}Z`), '{}', true, 'race')));
      expect((await s.models.list()).filter((m) => m.active === 1)).toHaveLength(1);
    });

    it('labeledJumps: every labeled jump with its features and labels, by event id', async () => {
      const s = await ctx.fresh();
      const a = decisionEvent({ event_id: 'ev-b', similarity: 0.5, span: 8, same_section: true, context: { k: 1 } });
      const b = decisionEvent({ event_id: 'ev-a', similarity: null, span: null, same_section: null, context: null });
      const c = decisionEvent({ event_id: 'ev-c', same_section: false });
      await s.events.insertMany([a, b, c]);
      expect(await s.models.labeledJumps()).toEqual([]);
      await putLabel(s, 'ev-b', 'ann', 'good');
      await putLabel(s, 'ev-b', 'bob', 'bad');
      await putLabel(s, 'ev-a', 'ann', 'meh');
      await putLabel(s, 'ev-c', 'ann', 'bad');
      await putLabel(s, 'ev-orphan', 'ann', 'bad'); // no event: left out
      const rows = await s.models.labeledJumps();
      expect(rows.map((r) => ({ ...r, labels: [...r.labels].sort() }))).toEqual([
        { event_id: 'ev-a', similarity: null, span: null, same_section: null, context: null, labels: ['meh'] },
        { event_id: 'ev-b', similarity: 0.5, span: 8, same_section: true, context: { k: 1 }, labels: ['bad', 'good'] },
        { event_id: 'ev-c', similarity: 0.87, span: 32, same_section: false, context: expect.anything(), labels: ['bad'] },
      ]);
    });
  });
}
