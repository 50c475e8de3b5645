import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Store } from '../src/store/index.js';
import { validateEvent } from '../src/ingest/validate.js';
import { exited, makeEvent, runCli, spawnCli, tempDir } from './support/env.js';
import { writeToneWav } from './support/audio.js';
import { waitFor } from './support/wait.js';
import { blockWrites } from './support/blocked-dir.js';

describe('track, snippets and watch commands', () => {
  let tmp: ReturnType<typeof tempDir>;
  const env = () => ({ RL_DATA_DIR: tmp.dir, RL_THREADS: '2' });
  const insertEvents = (n: number, over: Record<string, unknown> = {}) => {
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      const events = Array.from({ length: n }, (_, i) => {
        const r = validateEvent(makeEvent({ event_id: randomUUID(), track_id: 'tone', source_time: 3 + (i % 10), target_time: 15 - (i % 7), ...over }), 0, Date.now());
        if (!r.ok) throw new Error('invalid');
        return r.event;
      });
      store.events.insertMany(events);
      return events.map((e) => e.event_id);
    } finally {
      store.close();
    }
  };
  const states = () => {
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      return store.snippets.queueStats().by_state;
    } finally {
      store.close();
    }
  };

  beforeEach(async () => {
    tmp = tempDir();
    writeToneWav(join(tmp.dir, 'tone.wav'), 20);
    const r = await runCli(['track', 'add', join(tmp.dir, 'tone.wav'), '--id', 'tone', '--title', 'Two tones'], env());
    expect(r.stdout).toMatch(/registered track "tone" \(Two tones\): 0:20.00, 44100 Hz, 2 ch/);
  });
  afterEach(() => tmp.cleanup());

  it('track add refuses an undecodable file with the reason; track list shows tracks', async () => {
    writeFileSync(join(tmp.dir, 'notes.txt'), 'this is not audio at all');
    const bad = await runCli(['track', 'add', join(tmp.dir, 'notes.txt')], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/harmonizer: .*notes\.txt/);
    const missing = await runCli(['track', 'add', join(tmp.dir, 'nope.wav')], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const list = await runCli(['track', 'list'], env());
    expect(list.stdout).toMatch(/tone\s+Two tones\s+0:20\.00/);
    expect(list.stdout).not.toMatch(/notes/);
  });

  it('track add refuses an id already registered unless --replace, which removes the old file', async () => {
    writeToneWav(join(tmp.dir, 'other.wav'), 5);
    const again = await runCli(['track', 'add', join(tmp.dir, 'other.wav'), '--id', 'tone'], env());
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a track "tone" is already registered .*--replace/);
    expect((await runCli(['track', 'list'], env())).stdout).toMatch(/tone\s+Two tones\s+0:20\.00/);
    const replaced = await runCli(['track', 'add', join(tmp.dir, 'other.wav'), '--id', 'tone', '--title', 'Short', '--replace'], env());
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((await runCli(['track', 'list'], env())).stdout).toMatch(/tone\s+Short\s+0:05\.00/);
    expect(readdirSync(join(tmp.dir, 'tracks')).filter((n) => !n.startsWith('.'))).toEqual(['tone.wav']);
    // Replaced by a file with another extension: the old tone.wav must not stay behind, orphaned.
    copyFileSync(join(tmp.dir, 'other.wav'), join(tmp.dir, 'other.wave'));
    const renamed = await runCli(['track', 'add', join(tmp.dir, 'other.wave'), '--id', 'tone', '--replace'], env());
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(readdirSync(join(tmp.dir, 'tracks')).filter((n) => !n.startsWith('.'))).toEqual(['tone.wave']);
  });

  it('snippets renders up to --limit and prints a summary; bad options are named', async () => {
    insertEvents(12);
    const r = await runCli(['snippets', '--limit', '5', '--pre', '1', '--post', '2'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/snippets: 5 rendered, 0 failed, 0 skipped in [\d.]+ s \([\d.]+ snippets\/s\)/);
    expect(states()).toMatchObject({ rendered: 5, pending: 7 });
    const bad = await runCli(['snippets', '--limit', 'lots'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be an integer/);
  });

  it('snippets --retry-failed re-queues failed snippets, says how many, and renders them once the cause is fixed', async () => {
    const ids = insertEvents(3, { track_id: 'later' });
    const first = await runCli(['snippets', '--limit', '10'], env());
    expect(first.stdout).toMatch(/snippets: 0 rendered, 3 failed/);
    expect(first.code).toBe(1);
    expect(states()).toMatchObject({ failed: 3, pending: 0 });
    // Without the option nothing is retried: failed is final.
    expect((await runCli(['snippets', '--limit', '10'], env())).stdout).toMatch(/snippets: 0 rendered, 0 failed/);
    writeToneWav(join(tmp.dir, 'later.wav'), 20);
    expect((await runCli(['track', 'add', join(tmp.dir, 'later.wav'), '--id', 'later'], env())).code).toBe(0);
    const retried = await runCli(['snippets', '--retry-failed', '--limit', '10'], env());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/^re-queued 3 failed snippets$/m);
    expect(retried.stdout).toMatch(/snippets: 3 rendered, 0 failed/);
    expect(states()).toEqual({ pending: 0, rendering: 0, rendered: 3, failed: 0 });
    expect(readdirSync(join(tmp.dir, 'snippets')).sort()).toEqual(ids.map((id) => `${id}.wav`).sort());
    expect((await runCli(['snippets', '--retry-failed'], env())).stdout).toMatch(/^re-queued 0 failed snippets$/m);
  });

  it('watch: a snippets folder that refuses writes is retried after the backoff and rendered once writes work again', async () => {
    const snippets = join(tmp.dir, 'snippets');
    mkdirSync(snippets, { recursive: true });
    const block = blockWrites(snippets);
    let watcher: Awaited<ReturnType<typeof spawnCli>> | undefined;
    try {
      const ids = insertEvents(4);
      watcher = await spawnCli(['watch', '--sweep', '60'], env(), /batch: 0 rendered, 0 failed, 4 to retry/);
      const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
      try {
        for (const id of ids) {
          expect(store.snippets.get(id), block.how).toMatchObject({ state: 'pending', attempts: 1, last_error: expect.stringMatching(/EACCES|EPERM|ENOTDIR|EEXIST/) });
        }
      } finally {
        store.close();
      }
      block.restore();
      // The sweep is a minute away: only the retry time (5 s after the failure) wakes the watcher.
      await waitFor(() => states().rendered === 4, 15_000);
      expect(readdirSync(snippets).sort()).toEqual(ids.map((id) => `${id}.wav`).sort());
      watcher.child.kill('SIGTERM');
      expect(await exited(watcher.child)).toBe(0);
    } finally {
      try {
        block.restore();
      } catch {
        // already restored
      }
      watcher?.child.kill('SIGKILL');
    }
  }, 30_000);

  it('watch: a store that refuses writes is logged and retried; once writable, every snippet renders', async (ctx) => {
    const ids = insertEvents(50);
    // Writes to the WAL fail only if something stops root too: chattr +i (as root, on ext4/xfs/btrfs).
    const wal = join(tmp.dir, 'rl.sqlite3-wal');
    const watcher = await spawnCli(['watch', '--sweep', '0.3'], env(), /watching/);
    try {
      await waitFor(() => states().rendered === 50);
      insertEvents(0);
      let blocked = false;
      try {
        if (process.getuid?.() === 0) {
          execFileSync('chattr', ['+i', wal], { stdio: 'pipe' });
          blocked = true;
        }
      } catch {
        // no chattr or a file system without it
      }
      if (!blocked) {
        ctx.skip();
        return;
      }
      let more: string[];
      try {
        // New events reach the watcher through its sweep; its claim cannot be written.
        more = (() => {
          execFileSync('chattr', ['-i', wal], { stdio: 'pipe' });
          const m = insertEvents(20);
          execFileSync('chattr', ['+i', wal], { stdio: 'pipe' });
          return m;
        })();
        await waitFor(() => /batch failed \(retrying after the sweep\)|queue refresh failed/.test(watcher.output()), 15_000);
      } finally {
        execFileSync('chattr', ['-i', wal], { stdio: 'pipe' });
      }
      await waitFor(() => states().rendered === 70, 20_000);
      expect(readdirSync(join(tmp.dir, 'snippets')).filter((f) => f.endsWith('.wav')).sort()).toEqual([...ids, ...more].map((id) => `${id}.wav`).sort());
      watcher.child.kill('SIGTERM');
      expect(await exited(watcher.child)).toBe(0);
    } finally {
      watcher.child.kill('SIGKILL');
    }
  }, 60_000);

  it('watch: kill -9 mid-batch, restart: every event ends rendered exactly once', async () => {
    const ids = insertEvents(600);
    const first = await spawnCli(['watch', '--sweep', '0.2', '--lease', '1'], env(), /watching/);
    await waitFor(() => {
      const s = states();
      return s.rendered > 0 && s.rendered < 600;
    });
    first.child.kill('SIGKILL');
    await exited(first.child);
    const mid = states();
    expect(mid.rendered).toBeLessThan(600);

    const second = await spawnCli(['watch', '--sweep', '0.2', '--lease', '1'], env(), /watching/);
    await waitFor(() => states().rendered === 600, 30_000);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(second.output()).toMatch(/batch: \d+ rendered/);

    const files = readdirSync(join(tmp.dir, 'snippets'));
    expect(files.filter((f) => f.endsWith('.tmp') || f.includes('.tmp'))).toEqual([]);
    expect(files.sort()).toEqual(ids.map((id) => `${id}.wav`).sort());
    expect(states()).toEqual({ pending: 0, rendering: 0, rendered: 600, failed: 0 });
  }, 60_000);
});
