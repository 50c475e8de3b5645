import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MAX_RENDER_ATTEMPTS, Store, sqliteApi } from '../src/store/index.js';
import { validateEvent } from '../src/ingest/validate.js';
import { registerTrack } from '../src/tracks/register.js';
import { createRenderStack, type RenderStack } from '../src/render/stack.js';
import { SnippetRenderer } from '../src/render/pool.js';
import { PcmCache } from '../src/render/pcm-cache.js';
import { RenderQueue } from '../src/render/queue.js';
import { readWav, sha256Bytes } from '../src/render/index.js';
import { retryDelayMs } from '../src/render/failures.js';
import { blockWrites } from './support/blocked-dir.js';
import { tempDir, testConfig, makeEvent } from './support/env.js';
import { writeToneWav } from './support/audio.js';
import { readFileSync } from 'node:fs';
import { unitHash } from '../src/shared/hash.js';

/** The snippet queue over a real SQLite file, real worker threads and real audio files. */
describe('snippet render queue', () => {
  let tmp: ReturnType<typeof tempDir>;
  let stack: RenderStack;
  let store: Store;
  const config = () => testConfig(tmp.dir, { RL_THREADS: '2' });

  const addEvents = (...over: Record<string, unknown>[]) => {
    const events = over.map((o) => {
      const r = validateEvent(makeEvent({ event_id: randomUUID(), ...o }), 0, Date.now());
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.event;
    });
    store.events.insertMany(events);
    return events.map((e) => e.event_id);
  };

  beforeEach(async () => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    writeToneWav(join(tmp.dir, 'tone.wav'), 20);
    await registerTrack(sqliteApi(store, 'render'), join(tmp.dir, 'tracks'), join(tmp.dir, 'tone.wav'), { id: 'tone' });
    stack = await createRenderStack(config(), { pre: 2, post: 3 });
  });
  afterEach(async () => {
    await stack.close();
    store.close();
    tmp.cleanup();
  });

  it('RL_RENDER_SHARE: only the hashed share of the events is enqueued, the same share every time', () => {
    const ids = addEvents(...Array.from({ length: 400 }, () => ({ track_id: 'tone', source_time: 5, target_time: 12 })));
    const n = store.snippets.enqueueNew(Date.now(), 0.25);
    expect(n).toBeGreaterThan(60);
    expect(n).toBeLessThan(140);
    const chosen = new Set(ids.filter((id) => store.snippets.get(id) !== undefined));
    expect(chosen.size).toBe(n);
    for (const id of chosen) expect(unitHash(id)).toBeLessThan(0.25);
    // The cursor moved on: the skipped events are not enqueued later.
    expect(store.snippets.enqueueNew(Date.now(), 1)).toBe(0);
  });

  it('renders pending jumps once, records the splice offset, and never twice', async () => {
    const [a, b] = addEvents({ track_id: 'tone', source_time: 5, target_time: 12 }, { track_id: 'tone', source_time: 1, target_time: 15 });
    expect(await stack.queue.refresh()).toBe(2);
    const s1 = await stack.queue.runBatch(10);
    expect(s1).toMatchObject({ rendered: 2, failed: 0, retrying: 0, skipped: 0 });
    const row = store.snippets.get(a!)!;
    expect(row).toMatchObject({ state: 'rendered', attempts: 0, pre_s: 2, post_s: 3 });
    expect(row.splice_offset_s).toBeCloseTo(2, 4);
    expect(row.duration_s).toBeCloseTo(5, 3);
    const wav = readWav(readFileSync(row.path!));
    expect(wav.sampleRate).toBe(44100);
    expect(wav.channels[0]!.length).toBe(5 * 44100);
    // Clamped at the start of the track: only 1 s exists before source_time = 1.
    expect(store.snippets.get(b!)!.splice_offset_s).toBeCloseTo(1, 4);
    // Nothing is pending any more; enqueueing again adds no rows and rendering again claims nothing.
    expect(await stack.queue.refresh()).toBe(0);
    expect((await stack.queue.runBatch(10)).rendered).toBe(0);
    expect(readdirSync(join(tmp.dir, 'snippets')).sort()).toEqual([`${a}.wav`, `${b}.wav`].sort());
  });

  it('fails with a reason: unknown track, times outside the track', async () => {
    const [unknown, outside] = addEvents({ track_id: 'nope' }, { track_id: 'tone', source_time: 5, target_time: 25 });
    await stack.queue.refresh();
    expect(await stack.queue.runBatch(10)).toMatchObject({ rendered: 0, failed: 2, retrying: 0 });
    expect(store.snippets.get(unknown!)).toMatchObject({ state: 'failed', last_error: expect.stringMatching(/unknown track "nope"/) });
    expect(store.snippets.get(outside!)).toMatchObject({ state: 'failed', last_error: expect.stringMatching(/target_time 25.000 s lies outside the track \(20.000 s\)/) });
    expect(store.snippets.queueStats().by_state).toMatchObject({ failed: 2, pending: 0 });
  });

  it('undecodable audio fails its snippets at once (permanent), with the reason; the pool carries on', async () => {
    const garbage = Buffer.from('RIFF....WAVEfmt garbage that is not audio');
    writeFileSync(join(tmp.dir, 'garbage.wav'), garbage);
    store.tracks.upsert({ track_id: 'broken', title: 'broken', path: join(tmp.dir, 'garbage.wav'), sha256: sha256Bytes(garbage), duration: 10, sample_rate: 44100, channels: 2, added_at: 0 });
    const [bad, bad2] = addEvents({ track_id: 'broken', source_time: 1, target_time: 2 }, { track_id: 'broken', source_time: 3, target_time: 4 });
    await stack.queue.refresh();
    expect(await stack.queue.runBatch(10)).toMatchObject({ failed: 2, retrying: 0 });
    for (const id of [bad, bad2]) {
      expect(store.snippets.get(id!)).toMatchObject({ state: 'failed', attempts: 1, last_error: expect.stringMatching(/DECODE_FAILED: cannot decode .*garbage\.wav/) });
    }
    const [good] = addEvents({ track_id: 'tone', source_time: 4, target_time: 9 });
    await stack.queue.refresh();
    expect((await stack.queue.runBatch(10)).rendered).toBe(1);
    expect(store.snippets.get(good!)!.state).toBe('rendered');
  });

  it('a snippets folder that refuses writes: pending with a growing backoff, rendered once writes work again', async () => {
    let now = Date.now();
    const queue = new RenderQueue(stack.store, stack.renderer, { pre: 2, post: 3, now: () => now });
    const [id] = addEvents({ track_id: 'tone', source_time: 5, target_time: 12 });
    const snippets = join(tmp.dir, 'snippets');
    mkdirSync(snippets, { recursive: true });
    const block = blockWrites(snippets);
    try {
      expect(await queue.refresh()).toBe(1);
      expect(await queue.runBatch(10), block.how).toMatchObject({ rendered: 0, failed: 0, retrying: 1 });
      const first = store.snippets.get(id!)!;
      expect(first).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: now + 5000 });
      expect(first.last_error).toMatch(/RENDER_FAILED: .*(EACCES|EPERM|ENOTDIR|EEXIST)/);
      expect(await queue.nextRetryAt()).toBe(now + 5000);
      // Not leased before it is due.
      now += 4999;
      expect(await queue.refresh()).toBe(0);
      expect(await queue.runBatch(10)).toMatchObject({ rendered: 0, retrying: 0 });
      now += 1;
      expect(await queue.refresh()).toBe(1);
      expect(await queue.runBatch(10)).toMatchObject({ retrying: 1 });
      expect(store.snippets.get(id!)).toMatchObject({ state: 'pending', attempts: 2, next_attempt_at: now + 10_000 });
    } finally {
      block.restore();
    }
    now += 10_000;
    expect(await queue.refresh()).toBe(1);
    expect(await queue.runBatch(10)).toMatchObject({ rendered: 1, retrying: 0, failed: 0 });
    expect(store.snippets.get(id!)).toMatchObject({ state: 'rendered', last_error: null, next_attempt_at: 0 });
    expect(readdirSync(snippets)).toEqual([`${id}.wav`]);
  });

  it('a snippet failing temporarily gives up after MAX_RENDER_ATTEMPTS; retryFailed re-queues it, due at once', () => {
    let now = 1_000_000;
    const [id] = addEvents({ track_id: 'tone', source_time: 5, target_time: 12 });
    store.snippets.enqueueNew(now);
    const delays: number[] = [];
    for (let i = 1; i <= MAX_RENDER_ATTEMPTS; i++) {
      expect(store.snippets.claim('r', 10, now, 60_000).map((j) => j.event_id)).toEqual([id]);
      const state = store.snippets.fail(id!, 'r', 'RENDER_FAILED: ENOSPC', now, false, retryDelayMs);
      expect(state).toBe(i < MAX_RENDER_ATTEMPTS ? 'pending' : 'failed');
      const row = store.snippets.get(id!)!;
      if (state === 'pending') {
        delays.push(row.next_attempt_at - now);
        now = row.next_attempt_at;
      }
    }
    expect(delays.slice(0, 9)).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
    // About a day of retries before giving up.
    expect(delays.reduce((a, b) => a + b, 0) / 3_600_000).toBeGreaterThan(20);
    expect(store.snippets.get(id!)).toMatchObject({ state: 'failed', attempts: MAX_RENDER_ATTEMPTS });
    expect(store.snippets.retryFailed(now)).toBe(1);
    expect(store.snippets.get(id!)).toMatchObject({ state: 'pending', attempts: 0, next_attempt_at: 0 });
    expect(store.snippets.claim('r', 10, now, 60_000).map((j) => j.event_id)).toEqual([id]);
    expect(store.snippets.retryFailed(now)).toBe(0);
  });

  it('runBatch is one pipeline: every snippet rendered once, never more than `concurrency` in flight, the pool keeps its threads', async () => {
    const ids = addEvents(...Array.from({ length: 300 }, (_, i) => ({ track_id: 'tone', source_time: 2 + (i % 15), target_time: 1 + (i % 13) })));
    let inFlight = 0;
    let peak = 0;
    /** The real renderer, counting the renders it has in flight. */
    class CountingRenderer extends SnippetRenderer {
      override async render(...args: Parameters<SnippetRenderer['render']>) {
        peak = Math.max(peak, ++inFlight);
        try {
          return await super.render(...args);
        } finally {
          inFlight--;
        }
      }
    }
    const renderer = new CountingRenderer({ pool: stack.pool, cache: new PcmCache({ capacityBytes: 64 << 20 }), outDir: join(tmp.dir, 'snippets'), crossfadeMs: 30 });
    const queue = new RenderQueue(stack.store, renderer, { pre: 2, post: 3, concurrency: 12 });
    expect(await queue.refresh()).toBe(300);
    const seen: string[] = [];
    const b = await queue.runBatch(1000, (job) => seen.push(job.event_id));
    expect(b).toMatchObject({ rendered: 300, failed: 0, retrying: 0, skipped: 0 });
    expect(peak).toBe(12);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(readdirSync(join(tmp.dir, 'snippets')).length).toBe(300);
    expect(store.snippets.queueStats().by_state).toMatchObject({ rendered: 300, pending: 0, rendering: 0 });
    expect(stack.pool.threads).toBe(2);
    expect(() => new RenderQueue(stack.store, renderer, { pre: 2, post: 3, concurrency: 0 })).toThrow(/concurrency must be an integer from 1 to 1024/);
  });

  it('an aborted runBatch records what was in flight and leaves the rest leased until release()', async () => {
    addEvents(...Array.from({ length: 200 }, () => ({ track_id: 'tone', source_time: 5, target_time: 9 })));
    const queue = new RenderQueue(stack.store, stack.renderer, { pre: 2, post: 3, concurrency: 4 });
    await queue.refresh();
    const ac = new AbortController();
    let n = 0;
    const b = await queue.runBatch(200, () => {
      if (++n === 10) ac.abort();
    }, ac.signal);
    expect(b.rendered).toBeGreaterThanOrEqual(10);
    expect(b.rendered).toBeLessThan(200);
    const mid = store.snippets.queueStats().by_state;
    expect(mid.rendered).toBe(b.rendered);
    const released = await queue.release();
    expect(store.snippets.queueStats().by_state).toMatchObject({ rendering: 0, pending: 200 - b.rendered });
    expect(released).toBe(mid.rendering);
  });

  it('a store error mid-batch is thrown, not swallowed or hung on; released leases render on the next batch', async (ctx) => {
    const ids = addEvents(...Array.from({ length: 120 }, () => ({ track_id: 'tone', source_time: 5, target_time: 9 })));
    const queue = new RenderQueue(stack.store, stack.renderer, { pre: 2, post: 3, concurrency: 8 });
    await queue.refresh();
    const wal = join(tmp.dir, 'rl.sqlite3-wal');
    let blocked = false;
    const block = () => {
      if (blocked || process.getuid?.() !== 0) return;
      try {
        execFileSync('chattr', ['+i', wal], { stdio: 'pipe' }); // stops root too: the next write fails (EPERM → SQLITE_IOERR)
        blocked = true;
      } catch {
        // no chattr here
      }
    };
    let err: unknown;
    try {
      await queue.runBatch(120, block);
    } catch (e) {
      err = e;
    } finally {
      if (blocked) execFileSync('chattr', ['-i', wal], { stdio: 'pipe' });
    }
    if (!blocked) return ctx.skip();
    expect(String((err as Error)?.message)).toMatch(/disk I\/O error|readonly|SQLITE/i);
    await queue.release();
    expect((await queue.runBatch(200)).failed).toBe(0);
    expect(store.snippets.queueStats().by_state).toMatchObject({ rendered: 120, pending: 0, rendering: 0 });
    expect(readdirSync(join(tmp.dir, 'snippets')).length).toBe(ids.length);
  });

  it('record() applies many outcomes in one transaction; an outcome whose lease passed on is skipped', () => {
    const now = 2_000_000;
    const [a, b, c] = addEvents({ track_id: 'tone' }, { track_id: 'tone' }, { track_id: 'tone' });
    store.snippets.enqueueNew(now);
    expect(store.snippets.claim('me', 10, now, 60_000)).toHaveLength(3);
    store.snippets.releaseOwner('me', now); // c's lease goes to someone else
    store.snippets.claim('me', 2, now, 60_000); // a, b are ours again
    store.snippets.claim('other', 1, now, 60_000);
    const meta = { path: '/x.wav', duration_s: 5, splice_offset_s: 2, pre_s: 2, post_s: 3, crossfade_ms: 30, render_ms: 1 };
    const states = store.snippets.record('me', now, [
      { event_id: a!, ok: true, meta },
      { event_id: b!, ok: false, error: 'RENDER_FAILED: EIO', permanent: false },
      { event_id: c!, ok: true, meta },
    ], retryDelayMs);
    expect(states).toEqual(['rendered', 'pending', null]);
    expect(store.snippets.get(a!)).toMatchObject({ state: 'rendered', path: '/x.wav' });
    expect(store.snippets.get(b!)).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: now + 5000, last_error: 'RENDER_FAILED: EIO' });
    expect(store.snippets.get(c!)).toMatchObject({ state: 'rendering', lease_owner: 'other' });
    expect(store.snippets.record('me', now, [], retryDelayMs)).toEqual([]);
  });

  it('an expired lease returns to pending and a stale owner cannot complete it', async () => {
    let now = 1_000_000;
    const [id] = addEvents({ track_id: 'tone', source_time: 5, target_time: 12 });
    store.snippets.enqueueNew(now);
    const claimed = store.snippets.claim('crashed-renderer', 10, now, 1000);
    expect(claimed.map((j) => j.event_id)).toEqual([id]);
    expect(store.snippets.get(id!)!.state).toBe('rendering');
    expect(store.snippets.claim('other', 10, now + 500, 1000)).toEqual([]); // lease still held
    now += 1500;
    const queue = new RenderQueue(stack.store, stack.renderer, { pre: 2, post: 3, now: () => now });
    expect(await queue.refresh()).toBe(1);
    expect((await queue.runBatch(10)).rendered).toBe(1);
    // The crashed renderer comes back: its completion is refused, the row is unchanged.
    expect(store.snippets.complete(id!, 'crashed-renderer', { path: 'x', duration_s: 1, splice_offset_s: 0, pre_s: 0, post_s: 1, crossfade_ms: 0, render_ms: 0 }, now)).toBe(false);
    expect(store.snippets.get(id!)!.path).toMatch(new RegExp(`${id}\\.wav$`));
    expect(existsSync(join(tmp.dir, 'snippets', `${id}.wav`))).toBe(true);
  });
});

describe('orphan temp files', () => {
  it('removes temp files of dead writers only', async () => {
    const { removeOrphanTemps, tempFileName } = await import('../src/shared/temp-files.js');
    const t = tempDir();
    try {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(t.dir, 's'));
      const mine = tempFileName('a.wav', 'abc123');
      const dead = '.b.wav.999999999.def456.tmp';
      for (const n of [mine, dead, 'keep.wav']) writeFileSync(join(t.dir, 's', n), 'x');
      expect(removeOrphanTemps(join(t.dir, 's'))).toBe(1);
      expect(readdirSync(join(t.dir, 's')).sort()).toEqual([mine, 'keep.wav'].sort());
    } finally {
      t.cleanup();
    }
  });

  it('in a folder machines share, removes temp files by age only (a pid means nothing on another machine)', async () => {
    const { removeOrphanTemps, SHARED_TEMP_MAX_AGE_MS } = await import('../src/shared/temp-files.js');
    const { utimesSync } = await import('node:fs');
    const t = tempDir();
    try {
      const young = '.a.wav.999999998.abc123.tmp'; // its pid is not alive here, but another machine's writer may be
      const old = '.b.wav.999999999.def456.tmp';
      for (const n of [young, old, 'keep.wav']) writeFileSync(join(t.dir, n), 'x');
      const past = (Date.now() - SHARED_TEMP_MAX_AGE_MS - 60_000) / 1000;
      utimesSync(join(t.dir, old), past, past);
      expect(removeOrphanTemps(t.dir, { shared: true })).toBe(1);
      expect(readdirSync(t.dir).sort()).toEqual([young, 'keep.wav'].sort());
    } finally {
      t.cleanup();
    }
  });
});
