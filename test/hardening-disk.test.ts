import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { exited, makeEvent, runCli, spawnCli, tempDir } from './support/env.js';
import { writeToneWav } from './support/audio.js';
import { waitFor } from './support/wait.js';

/** Mounts a tmpfs of `mb` MB at `dir`; false (with the reason) when this machine does not allow it. */
function mountTmpfs(dir: string, mb: number): true | string {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

/** Writes zeros to `path` until the disk is full (ENOSPC). */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return n;
}

const tmp = tempDir();
const mnt = join(tmp.dir, 'mnt');
mkdirSync(mnt);
const mounted = mountTmpfs(mnt, 32);
if (mounted !== true) console.warn(`[disk] skipped: cannot mount a tmpfs here (${mounted}); the full-disk tests need root or CAP_SYS_ADMIN`);

/**
 * Issue 14 items 5, 6 and 8 on a real full tmpfs: /healthz answers 503 with the reason while writes fail
 * and recovers by itself; a mirror append cut short by ENOSPC is cut back to its last complete line, so
 * every acknowledged event replays; errors carry a code and a sentence, never the OS message; a read-only
 * data directory answers 503 for uploads and reference clips.
 */
describe.skipIf(mounted !== true)('a full or read-only disk (real tmpfs, real server process)', () => {
  const data = join(mnt, 'rl');
  const TOKEN = 'labeler-token-123';
  let child: ChildProcess;
  let url: string;
  const env = { RL_DATA_DIR: data, PORT: '0', HOST: '127.0.0.1', RL_LABELER_TOKEN: TOKEN, RL_PCM_CACHE_MB: '16' };
  const beacon = (events: object[]) => fetch(`${url}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(events) });
  const acked: string[] = [];

  beforeAll(async () => {
    const wav = join(tmp.dir, 'short.wav');
    writeToneWav(wav, 8, 22050);
    const added = await runCli(['track', 'add', wav, '--id', 'short'], env);
    expect(added.code, added.stderr).toBe(0);
    const s = await spawnCli(['serve'], env, /listening on (http:\/\/\S+)/);
    child = s.child;
    url = s.match[1]!;
  }, 60_000);

  afterAll(async () => {
    if (child) {
      child.kill('SIGTERM');
      await exited(child);
    }
    execFileSync('sh', ['-c', `umount ${join(mnt, 'rl', 'tracks')} ${join(mnt, 'rl', 'snippets')} 2>/dev/null; umount -l ${mnt}`]);
    tmp.cleanup();
  });

  it('full disk: 503 with a sentence (no OS text), /healthz 503 with the reason, then healthy again by itself; no torn mirror line', async () => {
    const batch = () => Array.from({ length: 50 }, () => makeEvent({ track_id: 'short', source_time: 1, target_time: 4 }));
    for (let i = 0; i < 3; i++) {
      const events = batch();
      expect((await beacon(events)).status).toBe(204);
      acked.push(...events.map((e) => e.event_id as string));
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const filler = join(mnt, 'filler');
    fill(filler);
    // Beacons of 50 events (~40 KB): the mirror append fills the last page and fails part-way.
    let refused = 0;
    for (let i = 0; i < 5; i++) {
      const r = await beacon(batch());
      if (r.status === 204) continue; // a page had room: acknowledged and durable like any other
      expect(r.status).toBe(503);
      const body = await r.json();
      expect(body.code).toBe('STORAGE_UNAVAILABLE');
      expect(body.error).toMatch(/the disk is full/);
      expect(JSON.stringify(body)).not.toMatch(/ENOSPC|no space left|\/rl\//);
      refused++;
    }
    expect(refused).toBeGreaterThan(0);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', code: 'STORAGE_UNAVAILABLE', error: expect.stringMatching(/the disk is full/) });

    rmSync(filler);
    await waitFor(async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined), 10_000);
    const after = batch();
    expect((await beacon(after)).status).toBe(204);
    acked.push(...after.map((e) => e.event_id as string));

    // Every mirror line is whole JSON, and every acknowledged event is in the mirror.
    const lines = readFileSync(join(data, 'jump_events.jsonl'), 'utf8').split('\n').filter(Boolean);
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id));
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
  }, 60_000);

  it('replay from the mirror reads every line and holds every acknowledged event', async () => {
    child.kill('SIGTERM');
    await exited(child);
    const r = await runCli(['replay'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ 0 unreadable/);
    const s = await spawnCli(['serve'], env, /listening on (http:\/\/\S+)/);
    child = s.child;
    url = s.match[1]!;
  }, 60_000);

  it('read-only data directory: uploads and reference clips answer 503 with the reason', async () => {
    const e = makeEvent({ track_id: 'short', source_time: 2, target_time: 5 });
    expect((await beacon([e])).status).toBe(204);
    // Short clips: every logged jump is rendered, and ~200 of them must fit the small disk.
    const rendered = await runCli(['snippets', '--limit', '500', '--pre', '0.5', '--post', '0.5'], env);
    expect(rendered.code, rendered.stderr + rendered.stdout).toBe(0);
    // The database stays writable (a busy filesystem cannot be remounted read-only); the folders uploads
    // and clips are written to become read-only bind mounts of themselves (EROFS, which root cannot bypass).
    const readOnly = [join(data, 'tracks'), join(data, 'snippets')];
    for (const d of readOnly) {
      execFileSync('mount', ['--bind', d, d]);
      execFileSync('mount', ['-o', 'remount,bind,ro', d]);
    }
    try {
      const wav = readFileSync(join(data, 'tracks', 'short.wav'));
      wav[wav.length - 1] ^= 1; // other content: not a duplicate of the registered track
      const up = await fetch(`${url}/api/tracks?id=other`, { method: 'POST', body: wav, headers: { 'content-type': 'audio/wav' } });
      expect(up.status).toBe(503);
      const ub = await up.json();
      expect(ub).toMatchObject({ code: 'STORAGE_UNAVAILABLE', error: expect.stringMatching(/read-only/) });
      expect(JSON.stringify(ub)).not.toMatch(/EROFS|\/rl\//);
      const ref = await fetch(`${url}/api/rl/labeler/audio/${e.event_id}/reference`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-labeler-name': 'ann' } });
      expect(ref.status).toBe(503);
      const rb = await ref.json();
      expect(rb).toMatchObject({ code: 'STORAGE_UNAVAILABLE', error: expect.stringMatching(/reference clip.*read-only/) });
      expect(JSON.stringify(rb)).not.toMatch(/EROFS|\/rl\//);
    } finally {
      for (const d of readOnly) execFileSync('umount', [d]);
    }
    const retried = await fetch(`${url}/api/rl/labeler/audio/${e.event_id}/reference`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-labeler-name': 'ann' } });
    expect(retried.status).toBe(200);
  }, 60_000);
});
