import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { Store } from '../src/store/index.js';
import { exited, makeEvent, runCli, spawnCli, tempDir, testConfig } from './support/env.js';

/** Integration: a real uWebSockets.js server on an ephemeral port, a real SQLite file, real threads. */
describe('ingest server over HTTP', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RunningServer;
  const beacon = (body: string | Uint8Array, ct: string | null = 'text/plain;charset=UTF-8') =>
    fetch(`${server.url}/api/rl/jump-event`, { method: 'POST', body: body as BodyInit, headers: ct ? { 'content-type': ct } : {} });

  beforeEach(async () => {
    tmp = tempDir();
    server = await startServer(testConfig(tmp.dir));
  });
  afterEach(async () => {
    await server.close();
    tmp.cleanup();
  });

  it('answers every status of the beacon endpoint', async () => {
    expect((await beacon(JSON.stringify(makeEvent()))).status).toBe(204);
    expect((await beacon(JSON.stringify(makeEvent()), null)).status).toBe(204);
    expect((await beacon(JSON.stringify(makeEvent()), 'application/json')).status).toBe(204);
    const bad = await beacon('{oops');
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('INVALID_JSON');
    const big = await beacon(JSON.stringify({ events: [makeEvent({ context: { pad: 'x'.repeat(70_000) } })] }));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await beacon('{}', 'image/png')).status).toBe(415);
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The server is still fine after all of that.
    expect((await beacon(JSON.stringify(makeEvent()))).status).toBe(204);
  });

  it('a 64 KiB body sent in chunks without Content-Length is read whole', async () => {
    const events = Array.from({ length: 90 }, () => makeEvent({ context: { pad: 'y'.repeat(250) } }));
    const body = JSON.stringify(events);
    expect(body.length).toBeLessThan(64 * 1024);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < body.length; i += 4000) c.enqueue(new TextEncoder().encode(body.slice(i, i + 4000)));
        c.close();
      },
    });
    const res = await fetch(`${server.url}/api/rl/jump-event`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(204);
    await server.close();
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s.events.count()).toBe(90);
    s.close();
    server = await startServer(testConfig(tmp.dir));
  });

  it('concurrent beacons are group-committed: all stored once, mirrored once', async () => {
    const events = Array.from({ length: 400 }, () => makeEvent());
    const statuses = await Promise.all(events.map((e) => beacon(JSON.stringify(e)).then((r) => r.status)));
    expect(statuses.every((s) => s === 204)).toBe(true);
    // Duplicates of all of them: accepted, not stored again.
    const again = await Promise.all(events.slice(0, 50).map((e) => beacon(JSON.stringify(e)).then((r) => r.status)));
    expect(again.every((s) => s === 204)).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const batches = Number(metrics.match(/harmonizer_commit_batch_events_count (\d+)/)![1]);
    expect(batches).toBeLessThan(450); // many requests shared a transaction
    await server.close();
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s.events.count()).toBe(400);
    s.close();
    const lines = readFileSync(join(tmp.dir, 'jump_events.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(400);
    expect(new Set(lines.map((l) => JSON.parse(l).event_id)).size).toBe(400);
    server = await startServer(testConfig(tmp.dir));
  });

  it('recovers mirrored events that SQLite lacks at start-up', async () => {
    const e = makeEvent();
    expect((await beacon(JSON.stringify(e))).status).toBe(204);
    await server.close();
    const committedBytes = statSync(join(tmp.dir, 'jump_events.jsonl')).size;
    // A line that reached the mirror but whose transaction never committed, plus a torn last line.
    const lost: Record<string, unknown> = { ...makeEvent(), received_at: 1_700_000_000_000 };
    appendFileSync(join(tmp.dir, 'jump_events.jsonl'), JSON.stringify(lost) + '\n{"event_id":"torn');
    server = await startServer(testConfig(tmp.dir));
    // Only what follows the mirror cursor (the end of the last committed group) is read.
    expect(server.recovered).toEqual({ from: committedBytes, lines: 1, inserted: 1, present: 0, invalid: 0 });
    expect((await beacon(JSON.stringify(makeEvent()))).status).toBe(204);
    await server.close();
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s.events.get(lost.event_id as string)?.received_at).toBe(1_700_000_000_000);
    expect(s.events.count()).toBe(3);
    s.close();
    const text = readFileSync(join(tmp.dir, 'jump_events.jsonl'), 'utf8');
    expect(text.includes('torn')).toBe(false);
    expect(text.trim().split('\n')).toHaveLength(3);
    // A clean restart reads nothing; a cursor lost with a commit (power loss) means re-reading from
    // it; a cursor past the end, or another file (a mirror restored from a copy), means reading it whole.
    server = await startServer(testConfig(tmp.dir));
    expect(server.recovered).toMatchObject({ from: Buffer.byteLength(text), lines: 0 });
    await server.close();
    const mirror = join(tmp.dir, 'jump_events.jsonl');
    const rewind = (bytes: number) => {
      const st = Store.open(join(tmp.dir, 'rl.sqlite3'));
      st.events.setMirrorCursor(bytes, st.events.mirrorCursor().fileId!);
      st.close();
    };
    rewind(committedBytes);
    server = await startServer(testConfig(tmp.dir));
    expect(server.recovered).toMatchObject({ from: committedBytes, lines: 2, inserted: 0, present: 2 });
    await server.close();
    rewind(10 * Buffer.byteLength(text));
    server = await startServer(testConfig(tmp.dir));
    expect(server.recovered).toMatchObject({ from: 0, lines: 3, inserted: 0, present: 3 });
    await server.close();
    // Restored from a copy: same name and size, another file.
    copyFileSync(mirror, `${mirror}.copy`);
    renameSync(`${mirror}.copy`, mirror);
    server = await startServer(testConfig(tmp.dir));
    expect(server.recovered).toMatchObject({ from: 0, lines: 3, inserted: 0, present: 3 });
  });
});

describe('the serve process', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());
  const env = () => ({ PORT: '0', HOST: '127.0.0.1', RL_DATA_DIR: tmp.dir });

  it('a second server on a taken port fails with a clear message instead of sharing the port', async () => {
    const { child, match } = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    try {
      const port = new URL(match[1]!).port;
      const other = tempDir();
      try {
        const r = await runCli(['serve'], { ...env(), RL_DATA_DIR: other.dir, PORT: port });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`cannot listen on 127.0.0.1:${port} \\(in use or not permitted\\)`));
        expect(r.stdout).not.toMatch(/listening on/);
      } finally {
        other.cleanup();
      }
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('refuses an invalid configuration naming the variable', async () => {
    const r = await runCli(['serve'], { ...env(), RL_POLICY_MODE: 'sometimes' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/RL_POLICY_MODE must be one of auto \| baseline \| rl/);
  });

  it('SIGTERM: stops accepting, flushes, exits 0 with every acknowledged event stored', async () => {
    const { child, match } = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    const url = match[1]!;
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const e = makeEvent();
        const r = await fetch(`${url}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(e) });
        if (r.status === 204) ids.push(e.event_id as string);
      }),
    );
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s.events.count()).toBe(50);
    for (const id of ids) expect(s.events.exists(id)).toBe(true);
    s.close();
  });

  it('kill -9 under load, then restart: every event that got 204 is present exactly once', async () => {
    const first = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    const url = first.match[1]!;
    const acked: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const batch = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => makeEvent());
        try {
          const r = await fetch(`${url}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(batch) });
          if (r.status === 204) for (const e of batch) acked.push(e.event_id as string);
        } catch {
          return; // the server died mid-request: that batch was never acknowledged
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);
    await exited(first.child);
    expect(acked.length).toBeGreaterThan(100);

    const second = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    // Duplicates of acknowledged events after the restart must still be stored once.
    const dup = acked.slice(0, 20).map((id) => makeEvent({ event_id: id }));
    expect((await fetch(`${second.match[1]}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(dup) })).status).toBe(204);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);

    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    const counts = s.db.prepare('SELECT event_id, count(*) AS n FROM jump_events GROUP BY event_id').all() as { event_id: string; n: number }[];
    const byId = new Map(counts.map((c) => [c.event_id, c.n]));
    for (const id of acked) expect(byId.get(id)).toBe(1);
    s.close();
  }, 60_000);

  it('harmonizer replay rebuilds the table from the mirror', async () => {
    const { child, match } = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    const events = Array.from({ length: 30 }, () => makeEvent({ event_id: randomUUID() }));
    expect((await fetch(`${match[1]}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(events) })).status).toBe(204);
    child.kill('SIGTERM');
    await exited(child);
    const s = Store.open(join(tmp.dir, 'rl.sqlite3'));
    const before = s.events.get(events[7]!.event_id as string);
    s.db.prepare('DELETE FROM jump_events WHERE rowid % 3 = 0').run();
    s.db.prepare("UPDATE jump_events SET mode = 'corrupted'").run();
    s.close();
    const r = await runCli(['replay'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/replayed 30 lines: 30 inserted, 0 already present, 0 unreadable/);
    const s2 = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s2.events.count()).toBe(30);
    expect(s2.events.get(events[7]!.event_id as string)).toEqual(before);
    expect(s2.db.prepare("SELECT count(*) FROM jump_events WHERE mode = 'corrupted'").pluck().get()).toBe(0);
    // --missing-only inserts what is missing and leaves stored rows as they are.
    s2.db.prepare('DELETE FROM jump_events WHERE rowid % 2 = 0').run();
    s2.db.prepare("UPDATE jump_events SET mode = 'edited'").run();
    const kept = s2.events.count();
    s2.close();
    const m = await runCli(['replay', '--missing-only'], env());
    expect(m.stdout).toMatch(new RegExp(`replayed 30 lines: ${30 - kept} inserted, ${kept} already present`));
    const s3 = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(s3.events.count()).toBe(30);
    expect(s3.db.prepare("SELECT count(*) FROM jump_events WHERE mode = 'edited'").pluck().get()).toBe(kept);
    s3.close();
  });

  it('telemetry command prints tables and --help works for every command', async () => {
    const { child, match } = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    await fetch(`${match[1]}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(makeEvent({ policy_mode: 'rl' })) });
    await fetch(`${match[1]}/api/rl/policy?session_id=s1`);
    child.kill('SIGTERM');
    await exited(child);
    const t = await runCli(['telemetry'], env());
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/events: 1/);
    expect(t.stdout).toMatch(/\nrl\s+1\s/);
    const j = await runCli(['telemetry', '--json'], env());
    expect(JSON.parse(j.stdout).events.total).toBe(1);
    expect(JSON.parse(j.stdout).sessions).toMatchObject({ assigned: 1, with_events: 1 });
    const help = await runCli(['--help']);
    for (const name of help.stdout.matchAll(/^ {2}(\S+)\s{2,}/gm)) {
      const h = await runCli([name[1]!, '--help']);
      expect(h.code, name[1]).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`usage: harmonizer ${name[1]}`));
    }
    const unknown = await runCli(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "bogus"/);
  });
});
