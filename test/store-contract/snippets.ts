import { describe, expect, it } from 'vitest';
import { MAX_RENDER_ATTEMPTS, type RenderedMeta, type StoreApi } from '../../src/store/index.js';
import type { RenderOutcome } from '../../src/store/snippets.js';
import { unitHash } from '../../src/shared/hash.js';
import type { PgStore } from '../../src/store/pg/store.js';
import { withLateCommit } from './fixtures-pg.js';
import { storedEvent, type ContractContext } from './context.js';
import { waitFor } from '../support/wait.js';

const meta = (over: Partial<RenderedMeta> = {}): RenderedMeta => ({
  path: '/snips/x.wav', duration_s: 5, splice_offset_s: 2, pre_s: 2, post_s: 3, crossfade_ms: 30, render_ms: 12.5, ...over,
});
const delay = (attempts: number) => attempts * 1000;

/** `n` jump events stored (in this order) and enqueued at `now`; returns their ids in arrival order. */
async function seeded(s: StoreApi, n: number, now = 1000, over: Record<string, unknown> = {}): Promise<string[]> {
  const events = Array.from({ length: n }, (_, i) => storedEvent({ event_id: `ev-${String(i).padStart(4, '0')}`, ...over }));
  await s.events.insertMany(events);
  expect(await s.snippets.enqueueNew(now)).toBe(n);
  return events.map((e) => e.event_id);
}

export function snippetsContract(ctx: ContractContext): void {
  describe(`snippets (${ctx.backend})`, () => {
    it('enqueueNew adds one pending row per new jump event, once, and only the new ones after', async () => {
      const s = await ctx.fresh();
      expect(await s.snippets.enqueueNew(500)).toBe(0);
      const ids = await seeded(s, 5, 1000);
      expect(await s.snippets.enqueueNew(1100)).toBe(0);
      const row = await s.snippets.get(ids[0]!);
      expect(row).toEqual({
        event_id: ids[0], state: 'pending', attempts: 0, lease_owner: null, lease_expires_at: null, last_error: null,
        path: null, ref_path: null, duration_s: null, splice_offset_s: null, pre_s: null, post_s: null, crossfade_ms: null,
        render_ms: null, enqueued_at: 1000, updated_at: 1000, next_attempt_at: 0,
      });
      expect(await s.snippets.get('nope')).toBeUndefined();
      await s.events.insertMany([storedEvent({ event_id: 'late-1' }), storedEvent({ event_id: 'late-2' })]);
      expect(await s.snippets.enqueueNew(2000)).toBe(2);
      expect((await s.snippets.get('late-2'))?.enqueued_at).toBe(2000);
      expect(await s.snippets.pendingCount()).toBe(7);
    });

    it('two enqueuers at once store each event once', async () => {
      const s = await ctx.fresh();
      await s.events.insertMany(Array.from({ length: 40 }, (_, i) => storedEvent({ event_id: `c-${i}` })));
      const added = await Promise.all([1, 2, 3, 4].map((i) => s.snippets.enqueueNew(1000 + i)));
      expect(added.reduce((a, b) => a + b, 0)).toBe(40);
      expect((await s.snippets.queueStats()).by_state.pending).toBe(40);
    });

    // Only PostgreSQL has concurrent writers (several ingest nodes): an id below the highest visible one
    // can still be in an open transaction, and must not be passed over by the render cursor.
    it.skipIf(ctx.backend !== 'postgres')('an event committed after a later id is seen is still enqueued (PostgreSQL)', async () => {
      const s = (await ctx.fresh()) as PgStore;
      await withLateCommit(s, async () => {
        // The open insert holds the lower id: the enqueuer does not pass over it.
        expect(await s.snippets.enqueueNew(1000)).toBe(0);
      });
      // Once it committed (and the barrier's back-off passed), both are enqueued.
      const added = await waitFor(async () => {
        const n = await s.snippets.enqueueNew(1001);
        return n > 0 ? n : undefined;
      }, 5000, 100);
      expect(added).toBe(2);
      expect((await s.snippets.get('slow-1'))?.state).toBe('pending');
      expect((await s.snippets.get('fast-2'))?.state).toBe('pending');
      expect(await s.snippets.enqueueNew(1003)).toBe(0);
      await s.events.insertMany([storedEvent({ event_id: 'next-3' })]);
      expect(await s.snippets.enqueueNew(1004)).toBe(1);
      const cursor = await s.pool.query<{ last_event: number }>('SELECT last_event FROM render_cursor');
      const max = await s.pool.query<{ m: number }>('SELECT max(id) AS m FROM jump_events');
      // Quiet again: the cursor caught up with everything.
      expect(cursor.rows[0]!.last_event).toBe(max.rows[0]!.m);
    });

    it('enqueueNew with a share enqueues exactly the events whose id hashes below it', async () => {
      const s = await ctx.fresh();
      const events = Array.from({ length: 60 }, (_, i) => storedEvent({ event_id: `share-${i}` }));
      await s.events.insertMany(events);
      const expected = events.map((e) => e.event_id).filter((id) => unitHash(id) < 0.5);
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(50);
      expect(await s.snippets.enqueueNew(1000, 0.5)).toBe(expected.length);
      expect(await s.snippets.enqueueNew(1001, 0.5)).toBe(0);
      for (const e of events) expect((await s.snippets.get(e.event_id))?.state).toBe(expected.includes(e.event_id) ? 'pending' : undefined);
    });

    it('claim leases the oldest due snippets with their event and track fields', async () => {
      const s = await ctx.fresh();
      const ids = await seeded(s, 4, 1000, { track_id: 'no-such-track', source_time: 1.5, target_time: 9.25 });
      const jobs = await s.snippets.claim('r1', 3, 5000, 60_000);
      expect(jobs).toEqual(ids.slice(0, 3).map((id) => ({
        event_id: id, track_id: 'no-such-track', source_time: 1.5, target_time: 9.25, attempts: 0,
        track_path: null, track_sha256: null, track_duration: null,
      })));
      expect(await s.snippets.get(ids[0]!)).toMatchObject({ state: 'rendering', lease_owner: 'r1', lease_expires_at: 65_000, updated_at: 5000 });
      expect((await s.snippets.claim('r2', 10, 5000, 60_000)).map((j) => j.event_id)).toEqual([ids[3]]);
      expect(await s.snippets.claim('r3', 10, 5000, 60_000)).toEqual([]);
      expect(await s.snippets.dueCount(5000)).toBe(0);
      expect(await s.snippets.pendingCount()).toBe(0);
    });

    it('claim joins the registered track', async () => {
      const s = await ctx.fresh();
      await s.tracks.upsert({ track_id: 'demo', title: 'Demo', path: '/tracks/demo.mp3', sha256: 'ab'.repeat(32), duration: 180.5, sample_rate: 44100, channels: 2, added_at: 1 });
      const [id] = await seeded(s, 1, 1000, { track_id: 'demo' });
      expect(await s.snippets.claim('r1', 1, 2000, 1000)).toEqual([
        expect.objectContaining({ event_id: id, track_id: 'demo', track_path: '/tracks/demo.mp3', track_sha256: 'ab'.repeat(32), track_duration: 180.5 }),
      ]);
    });

    it('concurrent claimers get disjoint jobs that cover the queue', async () => {
      const s = await ctx.fresh();
      const ids = await seeded(s, 50);
      const batches = await Promise.all(Array.from({ length: 6 }, (_, i) => s.snippets.claim(`w${i}`, 10, 5000, 60_000)));
      const claimed = batches.flat().map((j) => j.event_id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(50);
      expect(new Set(claimed)).toEqual(new Set(ids));
      // Each row is leased to the claimer that got it.
      for (const [i, b] of batches.entries()) for (const j of b) expect((await s.snippets.get(j.event_id))?.lease_owner).toBe(`w${i}`);
    });

    it('an expired lease is released and re-claimed; the stale owner can then neither complete nor fail it', async () => {
      const s = await ctx.fresh();
      const [a, b] = await seeded(s, 2);
      await s.snippets.claim('old', 2, 1000, 500);
      expect(await s.snippets.releaseExpired(1500)).toBe(0);
      expect(await s.snippets.releaseExpired(1501)).toBe(2);
      expect(await s.snippets.get(a!)).toMatchObject({ state: 'pending', lease_owner: null, lease_expires_at: null, updated_at: 1501 });
      await s.snippets.claim('old', 2, 2000, 500);
      // claim releases expired leases itself before leasing.
      const jobs = await s.snippets.claim('new', 2, 3000, 60_000);
      expect(jobs.map((j) => j.event_id)).toEqual([a, b]);
      expect(await s.snippets.complete(a!, 'old', meta(), 3100)).toBe(false);
      expect(await s.snippets.fail(b!, 'old', 'boom', 3100, false, delay)).toBeNull();
      expect(await s.snippets.record('old', 3100, [{ event_id: a!, ok: true, meta: meta() }], delay)).toEqual([null]);
      expect(await s.snippets.get(a!)).toMatchObject({ state: 'rendering', lease_owner: 'new', path: null });
      expect(await s.snippets.complete(a!, 'new', meta({ path: '/snips/a.wav' }), 3200)).toBe(true);
      expect(await s.snippets.complete(a!, 'new', meta(), 3300)).toBe(false);
      expect(await s.snippets.get(a!)).toEqual({
        event_id: a, state: 'rendered', attempts: 0, lease_owner: null, lease_expires_at: null, last_error: null,
        path: '/snips/a.wav', ref_path: null, duration_s: 5, splice_offset_s: 2, pre_s: 2, post_s: 3, crossfade_ms: 30,
        render_ms: 12.5, enqueued_at: 1000, updated_at: 3200, next_attempt_at: 0,
      });
    });

    it('a temporary failure backs off (next_attempt_at), a permanent one or the attempt cap fails for good', async () => {
      const s = await ctx.fresh();
      const [a, b] = await seeded(s, 2);
      await s.snippets.claim('r', 2, 1000, 60_000);
      expect(await s.snippets.fail(a!, 'r', 'EACCES: later', 2000, false, delay)).toBe('pending');
      expect(await s.snippets.get(a!)).toMatchObject({ state: 'pending', attempts: 1, last_error: 'EACCES: later', lease_owner: null, lease_expires_at: null, next_attempt_at: 3000, updated_at: 2000 });
      expect(await s.snippets.fail(b!, 'r', 'DECODE: bad audio', 2000, true, delay)).toBe('failed');
      expect(await s.snippets.get(b!)).toMatchObject({ state: 'failed', attempts: 1, next_attempt_at: 0 });
      // Backing off: pending but not due, and not claimable, until next_attempt_at.
      expect(await s.snippets.pendingCount()).toBe(1);
      expect(await s.snippets.dueCount(2999)).toBe(0);
      expect(await s.snippets.nextAttemptAt(2000)).toBe(3000);
      expect(await s.snippets.nextAttemptAt(3000)).toBeNull();
      expect(await s.snippets.claim('r', 5, 2999, 60_000)).toEqual([]);
      expect(await s.snippets.dueCount(3000)).toBe(1);
      const [job] = await s.snippets.claim('r', 5, 3000, 60_000);
      expect(job).toMatchObject({ event_id: a, attempts: 1 });
      expect(await s.snippets.fail(a!, 'r', 'EACCES: again', 4000, false, delay)).toBe('pending');
      expect(await s.snippets.get(a!)).toMatchObject({ attempts: 2, next_attempt_at: 6000 });
      // The cap: the attempt that reaches MAX_RENDER_ATTEMPTS fails for good whatever the cause.
      let now = 10_000;
      for (let i = 2; i < MAX_RENDER_ATTEMPTS - 1; i++) {
        expect(await s.snippets.claim('r', 1, now, 60_000)).toHaveLength(1);
        expect(await s.snippets.fail(a!, 'r', 'EACCES', now, false, () => 0)).toBe('pending');
        now += 1;
      }
      await s.snippets.claim('r', 1, now, 60_000);
      expect(await s.snippets.fail(a!, 'r', 'EACCES', now, false, () => 0)).toBe('failed');
      expect(await s.snippets.get(a!)).toMatchObject({ state: 'failed', attempts: MAX_RENDER_ATTEMPTS });
    });

    it('a long error is kept to 2000 characters', async () => {
      const s = await ctx.fresh();
      const [a] = await seeded(s, 1);
      await s.snippets.claim('r', 1, 1000, 60_000);
      await s.snippets.fail(a!, 'r', 'x'.repeat(5000), 2000, true, delay);
      expect((await s.snippets.get(a!))?.last_error).toBe('x'.repeat(2000));
    });

    it('record applies a batch of outcomes as complete/fail would, null where the lease is gone', async () => {
      const s = await ctx.fresh();
      const ids = await seeded(s, 6);
      await s.snippets.claim('r', 5, 1000, 60_000);
      const outcomes: RenderOutcome[] = [
        { event_id: ids[0]!, ok: true, meta: meta({ path: '/s/0.wav' }) },
        { event_id: ids[1]!, ok: false, error: 'EBUSY', permanent: false },
        { event_id: ids[2]!, ok: false, error: 'unknown track', permanent: true },
        { event_id: ids[5]!, ok: true, meta: meta() }, // never leased
        { event_id: ids[3]!, ok: true, meta: meta({ path: '/s/3.wav', render_ms: 7 }) },
      ];
      expect(await s.snippets.record('r', 2000, outcomes, delay)).toEqual(['rendered', 'pending', 'failed', null, 'rendered']);
      expect(await s.snippets.record('r', 2000, [], delay)).toEqual([]);
      expect(await s.snippets.get(ids[0]!)).toMatchObject({ state: 'rendered', path: '/s/0.wav', updated_at: 2000, lease_owner: null });
      expect(await s.snippets.get(ids[3]!)).toMatchObject({ state: 'rendered', path: '/s/3.wav', render_ms: 7 });
      expect(await s.snippets.get(ids[1]!)).toMatchObject({ state: 'pending', attempts: 1, last_error: 'EBUSY', next_attempt_at: 3000 });
      expect(await s.snippets.get(ids[2]!)).toMatchObject({ state: 'failed', attempts: 1, last_error: 'unknown track' });
      expect(await s.snippets.get(ids[5]!)).toMatchObject({ state: 'pending', path: null });
      // The same event twice in one batch: applied in order, the second finds the lease gone.
      expect(await s.snippets.get(ids[4]!)).toMatchObject({ state: 'rendering', lease_owner: 'r' });
      expect(await s.snippets.record('r', 2500, [
        { event_id: ids[4]!, ok: true, meta: meta() },
        { event_id: ids[4]!, ok: false, error: 'late', permanent: true },
      ], delay)).toEqual(['rendered', null]);
      expect(await s.snippets.get(ids[4]!)).toMatchObject({ state: 'rendered', attempts: 0, last_error: null });
    });

    it('retryFailed re-queues failed snippets with a fresh attempt count; releaseOwner gives back one owner\'s leases', async () => {
      const s = await ctx.fresh();
      const ids = await seeded(s, 4);
      await s.snippets.claim('a', 2, 1000, 60_000);
      await s.snippets.claim('b', 2, 1000, 60_000);
      await s.snippets.fail(ids[0]!, 'a', 'bad', 1100, true, delay);
      expect(await s.snippets.retryFailed(1200)).toBe(1);
      expect(await s.snippets.retryFailed(1200)).toBe(0);
      expect(await s.snippets.get(ids[0]!)).toMatchObject({ state: 'pending', attempts: 0, next_attempt_at: 0, lease_owner: null, updated_at: 1200, last_error: 'bad' });
      expect(await s.snippets.releaseOwner('b', 1300)).toBe(2);
      expect(await s.snippets.releaseOwner('b', 1300)).toBe(0);
      expect(await s.snippets.get(ids[2]!)).toMatchObject({ state: 'pending', lease_owner: null, lease_expires_at: null, updated_at: 1300 });
      expect(await s.snippets.get(ids[1]!)).toMatchObject({ state: 'rendering', lease_owner: 'a' });
    });

    it('setReference records the reference clip', async () => {
      const s = await ctx.fresh();
      const [a] = await seeded(s, 1);
      await s.snippets.setReference(a!, '/snips/a.ref.wav', 4000);
      expect(await s.snippets.get(a!)).toMatchObject({ ref_path: '/snips/a.ref.wav', updated_at: 4000, state: 'pending' });
    });

    it('queueStats counts by state and groups failures by reason, most frequent first', async () => {
      const s = await ctx.fresh();
      expect(await s.snippets.queueStats()).toEqual({ by_state: { pending: 0, rendering: 0, rendered: 0, failed: 0 }, failed_by_reason: [] });
      const ids = await seeded(s, 9);
      await s.snippets.claim('r', 8, 1000, 60_000);
      const reasons = ['b-reason', 'a-reason', 'c-reason', 'c-reason', 'c-reason', 'B-reason'];
      for (const [i, r] of reasons.entries()) await s.snippets.fail(ids[i]!, 'r', r, 1100, true, delay);
      await s.snippets.complete(ids[6]!, 'r', meta(), 1100);
      expect(await s.snippets.queueStats()).toEqual({
        by_state: { pending: 1, rendering: 1, rendered: 1, failed: 6 },
        // Ties by reason in byte order (upper case before lower case).
        failed_by_reason: [{ reason: 'c-reason', count: 3 }, { reason: 'B-reason', count: 1 }, { reason: 'a-reason', count: 1 }, { reason: 'b-reason', count: 1 }],
      });
    });
  });
}
