import { describe, expect, it } from 'vitest';
import type { ClipRow, LeaseOptions, StoreApi } from '../../src/store/index.js';
import type { ContractContext } from './context.js';
import { SEED_NOW, metaOf, seedClips, type ClipSpec } from './fixtures-labels.js';

const NOW = SEED_NOW + 10_000;
const LEASE = 60_000;
/** rand 0: the random-start scan starts before the first clip, so it takes the first eligible one in event order. */
const opts = (over: Partial<LeaseOptions> = {}): LeaseOptions => ({ now: NOW, leaseMs: LEASE, perClip: 1, rand: () => 0, ...over });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const plain = (n: number): ClipSpec[] => ids(n).map((event_id) => ({ event_id }));

async function leased(s: StoreApi, labeler: string, o: Partial<LeaseOptions> = {}, filters = {}): Promise<string | null> {
  return (await s.labels.leaseNext(labeler, filters, opts(o)))?.clip.event_id ?? null;
}

export function labelsContract(ctx: ContractContext): void {
  describe(`labels (${ctx.backend})`, () => {
    it('clip: the rendered clip with its event, track title and timing; pending or unknown is undefined', async () => {
      const s = await ctx.fresh();
      await seedClips(s, [{ event_id: 'c0' }, { event_id: 'c1', track_id: 'track-b', policy_mode: null, model_version: 'm1', similarity: null }, { event_id: 'p', pending: true }]);
      const m0 = metaOf(0);
      const expected: ClipRow = {
        event_id: 'c0', track_id: 'track-a', track_title: 'Title of track-a', mode: 'jukebox', source_index: 10, target_index: 40,
        source_time: 5, target_time: 20, similarity: 0.8, span: 30, same_section: 1, context: JSON.stringify({ n: 0 }), policy_mode: 'baseline',
        model_version: null, path: m0.path, ref_path: null, duration_s: 1.5, splice_offset_s: 0.75, pre_s: 0.75, post_s: 0.75, labels_count: 0,
      };
      expect(await s.labels.clip('c0')).toEqual(expected);
      // An unregistered track: the title falls back to the event's id; nulls stay null; same_section 0.
      expect(await s.labels.clip('c1')).toMatchObject({ track_id: 'track-b', track_title: 'track-b', policy_mode: null, model_version: 'm1', similarity: null, same_section: 0 });
      expect(await s.labels.clip('p')).toBeUndefined();
      expect(await s.labels.clip('nope')).toBeUndefined();
      await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'good', time_spent_ms: 5, now: NOW });
      expect((await s.labels.clip('c0'))?.labels_count).toBe(1);
    });

    it('upsert: latest wins in place; notes undefined keep, empty clears; null time keeps; get', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(2));
      const first = await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'good', notes: 'nice', time_spent_ms: 1200, now: NOW });
      expect(first).toEqual({ id: first.id, event_id: 'c0', labeler: 'ann', label: 'good', notes: 'nice', time_spent_ms: 1200, created_at: NOW, updated_at: NOW });
      expect(typeof first.id).toBe('number');
      const other = await s.labels.upsert({ event_id: 'c1', labeler: 'ann', label: 'bad', time_spent_ms: null, now: NOW + 1 });
      expect(other.id).toBeGreaterThan(first.id);
      const changed = await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'meh', time_spent_ms: null, now: NOW + 5 });
      expect(changed).toEqual({ ...first, label: 'meh', updated_at: NOW + 5 });
      const cleared = await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'meh', notes: '', time_spent_ms: 300, now: NOW + 6 });
      expect(cleared).toEqual({ ...first, label: 'meh', notes: null, time_spent_ms: 300, updated_at: NOW + 6 });
      expect(await s.labels.get('c0', 'ann')).toEqual(cleared);
      expect(await s.labels.get('c0', 'bob')).toBeUndefined();
      expect(await s.labels.count()).toBe(2);
    });

    it('leaseNext: random start scans in event order and wraps; a reload gets the held clip; one clip per labeler; remaining', async () => {
      const s = await ctx.fresh();
      await seedClips(s, [...plain(4), { event_id: 'p', pending: true }]);
      expect(await s.labels.remaining('ann', {}, 1)).toBe(4);
      const lease = await s.labels.leaseNext('ann', {}, opts());
      expect(lease).toEqual({ clip: expect.objectContaining({ event_id: 'c0', labels_count: 0 }), expires_at: NOW + LEASE });
      // Held: the same clip again whatever the random start.
      expect(await leased(s, 'ann', { rand: () => 0.99 })).toBe('c0');
      // Another labeler: c0 is leased, so the scan from the start takes c1; from near the end it wraps to c1 too.
      expect(await leased(s, 'bob', { rand: () => 0.99 })).toBe('c1');
      // Start at id 3 (rand * (max id 5 + 1) = 3): the event with id 3 is c2.
      expect(await leased(s, 'cy', { rand: () => 0.5 })).toBe('c2');
      // ann's lease on c0 is released when a filter takes her elsewhere: at most one clip each.
      expect(await leased(s, 'ann', {}, { mode: 'nope' })).toBeNull();
      expect(await leased(s, 'dee')).toBe('c0');
      expect(await s.labels.remaining('ann', {}, 1)).toBe(4);
      await s.labels.upsert({ event_id: 'c3', labeler: 'ann', label: 'good', time_spent_ms: null, now: NOW });
      expect(await s.labels.remaining('ann', {}, 1)).toBe(3);
      expect(await leased(s, 'eve')).toBeNull();
    });

    it('concurrent leaseNext from several labelers hands out distinct clips', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(4));
      const labelers = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6'];
      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(labelers.map((l) => leased(s, l, { rand: () => 0, now: NOW + round * 10 * LEASE })));
        const clips = got.filter((g): g is string => g !== null);
        expect(clips).toHaveLength(4);
        expect(new Set(clips).size).toBe(4);
        expect(got.filter((g) => g === null)).toHaveLength(2);
      }
      // With random starts too (the default Math.random).
      const got = await Promise.all(labelers.map((l) => s.labels.leaseNext(l, {}, { now: NOW + 100 * LEASE, leaseMs: LEASE, perClip: 1 })));
      const clips = got.flatMap((g) => (g ? [g.clip.event_id] : []));
      expect(new Set(clips).size).toBe(clips.length);
      expect(clips).toHaveLength(4);
    });

    it('labelers racing through the queue (lease, then label) label every clip exactly once', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(12));
      const done: string[] = [];
      const work = async (labeler: string) => {
        for (;;) {
          const l = await s.labels.leaseNext(labeler, {}, { now: NOW, leaseMs: LEASE, perClip: 1 });
          if (!l) return;
          await s.labels.upsert({ event_id: l.clip.event_id, labeler, label: 'good', time_spent_ms: null, now: NOW });
          done.push(l.clip.event_id);
        }
      };
      await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(work));
      expect(done.sort()).toEqual(ids(12).sort());
      expect(await s.labels.count()).toBe(12);
      expect(await s.labels.clipCounts(2)).toEqual([]);
    });

    it('lease expiry, renewal, release and housekeeping', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(1));
      expect(await leased(s, 'ann')).toBe('c0');
      expect(await leased(s, 'bob', { now: NOW + LEASE - 1 })).toBeNull();
      // Renewed before expiry: bob still cannot have it after the first lease would have lapsed.
      expect(await s.labels.renewLease('c0', 'ann', NOW + LEASE - 1, LEASE)).toEqual({ renewed: true, expires_at: NOW + 2 * LEASE - 1 });
      expect(await leased(s, 'bob', { now: NOW + LEASE + 5 })).toBeNull();
      expect(await s.labels.renewLease('c0', 'bob', NOW + LEASE + 5, LEASE)).toEqual({ renewed: false, expires_at: NOW + 2 * LEASE + 5 });
      // Lapsed: bob gets it, and ann cannot renew it any more.
      expect(await leased(s, 'bob', { now: NOW + 2 * LEASE })).toBe('c0');
      expect((await s.labels.renewLease('c0', 'ann', NOW + 2 * LEASE, LEASE)).renewed).toBe(false);
      expect(await s.labels.release('bob')).toBe(1);
      expect(await s.labels.release('bob')).toBe(0);
      // A lapsed lease of one's own is taken back by renewal.
      expect((await s.labels.renewLease('c0', 'ann', NOW + 2 * LEASE, LEASE)).renewed).toBe(true);
      expect(await s.labels.deleteExpiredLeases(NOW + 3 * LEASE - 1)).toBe(0);
      expect(await s.labels.deleteExpiredLeases(NOW + 3 * LEASE)).toBe(1);
    });

    it('renewLease releases the labeler\'s other leases', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(2));
      expect(await leased(s, 'ann')).toBe('c0');
      expect((await s.labels.renewLease('c1', 'ann', NOW, LEASE)).renewed).toBe(true);
      expect(await leased(s, 'bob')).toBe('c0');
    });

    it('skip puts a clip last for that labeler only, in skip order; labeling releases the lease', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(3));
      expect(await leased(s, 'ann')).toBe('c0');
      await s.labels.skip('ann', 'c0', NOW);
      await s.labels.skip('ann', 'c1', NOW + 1);
      expect(await leased(s, 'ann')).toBe('c2');
      await s.labels.upsert({ event_id: 'c2', labeler: 'ann', label: 'bad', time_spent_ms: null, now: NOW });
      // Only skipped clips are left: in skip order.
      expect(await leased(s, 'ann')).toBe('c0');
      await s.labels.skip('ann', 'c0', NOW + 2);
      expect(await leased(s, 'ann')).toBe('c1');
      // Skips are per labeler; ann's skip released her lease on c0.
      expect(await leased(s, 'bob')).toBe('c0');
    });

    it('undo takes back the last decision and re-leases the clip unless another labeler holds it', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(3));
      expect(await s.labels.undo('ann', NOW, LEASE)).toBeUndefined();
      const a = await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'good', time_spent_ms: null, now: NOW });
      const b = await s.labels.upsert({ event_id: 'c1', labeler: 'ann', label: 'bad', time_spent_ms: null, now: NOW + 1 });
      expect(await s.labels.undo('ann', NOW + 2, LEASE)).toEqual({ removed: b, leased: true });
      expect(await s.labels.get('c1', 'ann')).toBeUndefined();
      expect(await leased(s, 'ann', { now: NOW + 3 })).toBe('c1');
      expect(await leased(s, 'bob', { now: NOW + 3 })).toBe('c2');
      // c0 is now free; bob takes it (his c2 lease goes), then ann's undo of c0 cannot lease it.
      await s.labels.release('bob');
      await s.labels.renewLease('c0', 'bob', NOW + 3, LEASE);
      expect(await s.labels.undo('ann', NOW + 4, LEASE)).toEqual({ removed: a, leased: false });
      expect(await s.labels.count()).toBe(0);
    });

    it('filters: track, mode, arm (none = no arm), model version, similarity range', async () => {
      const s = await ctx.fresh();
      await seedClips(s, [
        { event_id: 'a', track_id: 'track-a', mode: 'jukebox', policy_mode: 'baseline', similarity: 0.2 },
        { event_id: 'b', track_id: 'track-b', mode: 'jukebox', policy_mode: 'rl', model_version: 'm1', similarity: 0.5 },
        { event_id: 'c', track_id: 'track-a', mode: 'split', policy_mode: null, similarity: 0.9 },
        { event_id: 'd', track_id: 'track-a', mode: 'jukebox', policy_mode: 'rl', model_version: 'm2', similarity: null },
      ]);
      const cases: [object, string[]][] = [
        [{ track: 'track-b' }, ['b']],
        [{ mode: 'split' }, ['c']],
        [{ arm: 'rl' }, ['b', 'd']],
        [{ arm: 'baseline' }, ['a']],
        [{ arm: 'none' }, ['c']],
        [{ modelVersion: 'm2' }, ['d']],
        [{ simMin: 0.5 }, ['b', 'c']],
        [{ simMax: 0.5 }, ['a', 'b']],
        [{ simMin: 0.3, simMax: 0.6, track: 'track-b', arm: 'rl', mode: 'jukebox', modelVersion: 'm1' }, ['b']],
        [{ track: 'nope' }, []],
      ];
      for (const [f, want] of cases) {
        expect(await s.labels.remaining('x', f, 1), JSON.stringify(f)).toBe(want.length);
        const got: string[] = [];
        // Each pick labels the clip so the next lease moves on: the leased clips are exactly the filtered ones.
        for (let n = 0; n < 5; n++) {
          const l = await s.labels.leaseNext('x', f, opts());
          if (!l) break;
          got.push(l.clip.event_id);
          await s.labels.skip('x', l.clip.event_id, NOW + n);
          if (got.length === want.length) break;
        }
        expect(got.sort(), JSON.stringify(f)).toEqual(want);
        await s.labels.release('x');
      }
    });

    it('labels per clip above one: a clip stays until it has enough labels, never twice for one labeler', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(2));
      await s.labels.upsert({ event_id: 'c0', labeler: 'ann', label: 'good', time_spent_ms: null, now: NOW });
      expect(await s.labels.remaining('ann', {}, 2)).toBe(1);
      expect(await s.labels.remaining('bob', {}, 2)).toBe(2);
      expect(await leased(s, 'ann', { perClip: 2 })).toBe('c1');
      expect(await leased(s, 'bob', { perClip: 2 })).toBe('c0');
      await s.labels.upsert({ event_id: 'c0', labeler: 'bob', label: 'meh', time_spent_ms: null, now: NOW });
      expect(await s.labels.remaining('cy', {}, 2)).toBe(1);
      expect(await leased(s, 'cy', { perClip: 2 })).toBeNull(); // c1 is ann's, c0 is full
      expect(await s.labels.remaining('cy', {}, 3)).toBe(2);
      // With one label per clip, c0 is done for everyone.
      expect(await s.labels.remaining('cy', {}, 1)).toBe(1);
    });

    it('priority order: the lowest priority among the sample, skipped clips excluded', async () => {
      const s = await ctx.fresh();
      await seedClips(s, plain(5));
      const priority = (c: ClipRow) => Math.abs(JSON.parse(c.context!).n - 3);
      expect(await leased(s, 'ann', { priority, sample: 100 })).toBe('c3');
      await s.labels.skip('ann', 'c3', NOW);
      const next = await s.labels.leaseNext('ann', {}, opts({ priority, sample: 100 }));
      expect(['c2', 'c4']).toContain(next?.clip.event_id);
      expect(next?.clip).toMatchObject({ same_section: next?.clip.event_id === 'c2' ? 1 : 1, labels_count: 0 });
      // A sample of one is one random eligible clip.
      expect(await leased(s, 'bob', { priority, sample: 1 })).toMatch(/^c[0-4]$/);
    });

    it('recent, countBy, count, mix, clipCounts and the export', async () => {
      const s = await ctx.fresh();
      expect(await s.labels.mix()).toEqual({ overall: { good: 0, meh: 0, bad: 0, total: 0 }, per_arm: {}, per_labeler: {} });
      expect(await s.labels.clipCounts()).toEqual([]);
      await seedClips(s, [{ event_id: 'c0' }, { event_id: 'c1', policy_mode: 'rl' }, { event_id: 'c2', policy_mode: null, track_id: 'track-b' }]);
      const put = (event_id: string, labeler: string, label: 'good' | 'meh' | 'bad', now: number) =>
        s.labels.upsert({ event_id, labeler, label, time_spent_ms: 10, now });
      await put('c0', 'ann', 'good', 100);
      await put('c1', 'ann', 'bad', 200);
      await put('c2', 'ann', 'good', 300);
      await put('c0', 'Bob', 'meh', 150);
      await put('c1', 'Bob', 'bad', 250);
      await put('c0', '_z', 'good', 50);
      expect(await s.labels.count()).toBe(6);
      const recent = await s.labels.recent('ann', 2);
      expect(recent.map((r) => r.event_id)).toEqual(['c2', 'c1']);
      expect(recent[0]).toMatchObject({ labeler: 'ann', label: 'good', track_id: 'track-b', track_title: 'track-b', source_index: 12, target_index: 42, time_spent_ms: 10, notes: null });
      expect(await s.labels.countBy('ann', 200)).toEqual({ total: 3, since: 2 });
      expect(await s.labels.countBy('nobody', 0)).toEqual({ total: 0, since: 0 });
      const mix = await s.labels.mix();
      expect(mix.overall).toEqual({ good: 3, meh: 1, bad: 2, total: 6 });
      expect(mix.per_arm).toEqual({ baseline: { good: 2, meh: 1, bad: 0, total: 3 }, none: { good: 1, meh: 0, bad: 0, total: 1 }, rl: { good: 0, meh: 0, bad: 2, total: 2 } });
      // Byte order of the keys, as SQLite's: 'Bob' < '_z' < 'ann'.
      expect(Object.keys(mix.per_labeler)).toEqual(['Bob', '_z', 'ann']);
      expect(mix.per_labeler.ann).toEqual({ good: 2, meh: 0, bad: 1, total: 3 });
      expect(Object.keys(mix.per_arm)).toEqual(['baseline', 'none', 'rl']);
      expect(await s.labels.clipCounts()).toEqual([{ good: 2, meh: 1, bad: 0 }, { good: 0, meh: 0, bad: 2 }]);
      expect(await s.labels.clipCounts(3)).toEqual([{ good: 2, meh: 1, bad: 0 }]);
      expect(await s.labels.clipCounts(1)).toHaveLength(3);
      const exported = [...(await s.labels.iterateExport())];
      expect(exported.map((r) => [r.event_id, r.labeler])).toEqual([['c0', 'ann'], ['c1', 'ann'], ['c2', 'ann'], ['c0', 'Bob'], ['c1', 'Bob'], ['c0', '_z']]);
      expect(exported[2]).toMatchObject({ track_id: 'track-b', track_title: null, mode: 'jukebox', source_time: 7, target_time: 22, similarity: 0.8, policy_mode: null, model_version: null, created_at: 300 });
      expect(exported[0]).toMatchObject({ track_title: 'Title of track-a', policy_mode: 'baseline', label: 'good' });
    });
  });
}
