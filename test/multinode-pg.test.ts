import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openPgStore, type PgStore } from '../src/store/pg/index.js';
import { validateEvent } from '../src/ingest/validate.js';
import { loadConfig } from '../src/shared/config.js';
import { ensureDemoTrack } from '../src/demo/ensure.js';
import type { JumpEvent } from '../src/shared/jump-event.js';
import { exited, makeEvent, spawnCli, tempDir } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const N = 400;

/**
 * Several render nodes on one PostgreSQL database (issue 15): two `harmonizer watch` processes, each
 * its own node (RL_NODE_ID), share the queue in a real throw-away server and one RL_DATA_DIR (the
 * shared filesystem the rendered snippets go to). One is killed with SIGKILL mid-load and restarted:
 * every event is still rendered exactly once, into one file.
 */
describe('several nodes on one PostgreSQL database: render workers and ingest servers (real server)', () => {
  let cluster: PgCluster;
  let url: string;
  let store: PgStore;
  const tmp = tempDir();
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    cluster = await startPgCluster();
    url = cluster.database('multinode');
    store = await openPgStore(url, 4, 'test');
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store?.close();
    cluster?.stop();
    tmp.cleanup();
  });

  const env = (node: string) => ({ RL_DATA_DIR: tmp.dir, RL_DATABASE_URL: url, RL_NODE_ID: node, RL_THREADS: '1' });
  const watch = async (node: string) => {
    const w = await spawnCli(['watch', '--sweep', '0.2', '--lease', '8'], env(node), /watching/);
    children.push(w.child);
    return w;
  };
  const count = async (sql: string, params: unknown[] = []) => (await store.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

  it('every event rendered exactly once, one file each, a killed watcher\'s leases taken over', async () => {
    // The demo track, generated into the shared data folder as `harmonizer serve` would, registered in PostgreSQL.
    const demo = await ensureDemoTrack(store, loadConfig({ RL_DATA_DIR: tmp.dir }));
    // Test-only audit: each rendering → rendered transition with the owner that recorded it.
    await store.pool.query(`
      CREATE TABLE render_audit (event_id TEXT NOT NULL, owner TEXT, path TEXT);
      CREATE FUNCTION audit_render() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.state = 'rendering' AND NEW.state = 'rendered' THEN
            INSERT INTO render_audit VALUES (OLD.event_id, OLD.lease_owner, NEW.path);
          END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER audit_render BEFORE UPDATE ON snippets FOR EACH ROW EXECUTE FUNCTION audit_render();`);

    const events: JumpEvent[] = Array.from({ length: N }, (_, i) => {
      const r = validateEvent(makeEvent({ event_id: randomUUID(), track_id: 'demo', source_time: 3 + (i % 20), target_time: 25 - (i % 17) }), 0, Date.now());
      if (!r.ok) throw new Error('invalid test event');
      return r.event;
    });
    expect(demo.duration).toBeGreaterThan(30);
    expect((await store.events.insertMany(events)).inserted).toBe(N);
    const ids = events.map((e) => e.event_id);

    const rendered = () => count(`SELECT count(*)::int8 AS n FROM snippets WHERE state = 'rendered'`);
    const a = await watch('node-a');
    const b = await watch('node-b');
    const ownerOf = (pid: number | undefined) => `render-${pid}-%`;
    // Kill node a while it holds leases, mid-load.
    await waitFor(async () => (await rendered()) >= 40 && (await count(`SELECT count(*)::int8 AS n FROM snippets WHERE state = 'rendering' AND lease_owner LIKE $1`, [ownerOf(a.child.pid)])) > 0, 60_000, 5);
    a.child.kill('SIGKILL');
    await exited(a.child);
    const orphaned = (await store.pool.query<{ event_id: string }>(`SELECT event_id FROM snippets WHERE state = 'rendering' AND lease_owner LIKE $1`, [ownerOf(a.child.pid)])).rows.map((r) => r.event_id);
    expect(orphaned.length).toBeGreaterThan(0);
    expect(await rendered()).toBeLessThan(N);

    const a2 = await watch('node-a');
    await waitFor(async () => (await rendered()) === N, 120_000, 100);
    a2.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await exited(a2.child)).toBe(0);
    expect(await exited(b.child)).toBe(0);

    // One row per event, every one rendered, each to its own file in the shared folder.
    const rows = (await store.pool.query<{ event_id: string; state: string; path: string; lease_owner: string | null }>('SELECT event_id, state, path, lease_owner FROM snippets')).rows;
    expect(rows.length).toBe(N);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids));
    for (const r of rows) {
      expect(r.state).toBe('rendered');
      expect(r.lease_owner).toBeNull();
      expect(r.path).toBe(join(tmp.dir, 'snippets', `${r.event_id}.wav`));
    }
    const files = readdirSync(join(tmp.dir, 'snippets'));
    expect(files.filter((f) => f.endsWith('.wav')).sort()).toEqual(ids.map((id) => `${id}.wav`).sort());
    // Anything else is a temp file the killed writer left mid-write (the others renamed theirs).
    for (const f of files.filter((x) => !x.endsWith('.wav'))) expect(f).toMatch(new RegExp(`^\\..+\\.wav\\.${a.child.pid}\\.[0-9a-f]+\\.tmp$`));

    // Exactly one recorded render per event; both nodes did work; the killed node's leases were rendered by others.
    const audit = (await store.pool.query<{ event_id: string; owner: string }>('SELECT event_id, owner FROM render_audit')).rows;
    expect(audit.length).toBe(N);
    expect(new Set(audit.map((r) => r.event_id)).size).toBe(N);
    const owners = new Set(audit.map((r) => r.owner));
    expect([...owners].some((o) => o.startsWith(`render-${b.child.pid}-`))).toBe(true);
    expect([...owners].some((o) => o.startsWith(`render-${a.child.pid}-`))).toBe(true);
    const byEvent = new Map(audit.map((r) => [r.event_id, r.owner]));
    for (const id of orphaned) expect(byEvent.get(id)).not.toMatch(new RegExp(`^render-${a.child.pid}-`));
    // No snippet was leased to two renderers at once: a watcher that ran to the end rendered exactly
    // what it recorded (a doubly leased snippet would be rendered by both and `skipped` by one).
    const logged = (out: string) => {
      const t = { rendered: 0, skipped: 0 };
      for (const m of out.matchAll(/batch: (\d+) rendered, \d+ failed, \d+ to retry, (\d+) skipped/g)) {
        t.rendered += Number(m[1]);
        t.skipped += Number(m[2]);
      }
      return t;
    };
    const recordedBy = (pid: number | undefined) => audit.filter((r) => r.owner.startsWith(`render-${pid}-`)).length;
    for (const w of [b, a2]) expect(logged(w.output())).toEqual({ rendered: recordedBy(w.child.pid), skipped: 0 });
    expect(recordedBy(a2.child.pid)).toBeGreaterThan(0);
  }, 180_000);
  it('two serve and two watch processes on one database and one shared data dir: beacons over both servers with duplicates to both, kill -9 a server and a watcher mid-load, restart: every acknowledged event stored once and rendered once, one file each', async () => {
    const db = cluster.database('fullnodes');
    const own = await openPgStore(db, 4, 'test');
    const dir = join(tmp.dir, 'shared');
    try {
      await ensureDemoTrack(own, loadConfig({ RL_DATA_DIR: dir }));
      const nodeEnv = (node: string) => ({ RL_DATA_DIR: dir, RL_DATABASE_URL: db, RL_NODE_ID: node, RL_THREADS: '1', PORT: '0', HOST: '127.0.0.1' });
      const serve = async (node: string) => {
        const s = await spawnCli(['serve'], nodeEnv(node), /listening on (http:\/\/\S+)/);
        children.push(s.child);
        return { child: s.child, url: s.match[1]!, output: s.output };
      };
      const watcher = async (node: string) => {
        const w = await spawnCli(['watch', '--sweep', '0.2', '--lease', '8'], nodeEnv(node), /watching/);
        children.push(w.child);
        return w;
      };
      const a = await serve('serve-a');
      let b = await serve('serve-b');
      const wa = await watcher('watch-a');
      const wb = await watcher('watch-b');

      const acked = new Set<string>();
      let stop = false;
      const client = async (k: number) => {
        for (let i = 0; !stop; i++) {
          const events = Array.from({ length: 4 }, (_, j) => makeEvent({ track_id: 'demo', source_time: 3 + ((i + j) % 20), target_time: 25 - ((i + k) % 17) }));
          const body = JSON.stringify(events);
          // Each beacon to one server, every third to both (a retry that reached the other node).
          const targets = i % 3 === 0 ? [a.url, b.url] : [(i + k) % 2 === 0 ? a.url : b.url];
          await Promise.all(targets.map(async (u) => {
            const r = await fetch(`${u}/api/rl/jump-event`, { method: 'POST', body }).catch(() => null);
            if (r?.status === 204) for (const e of events) acked.add(e.event_id as string);
          }));
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const clients = [0, 1, 2].map(client);
      const rendered = async () => (await own.pool.query<{ n: number }>("SELECT count(*)::int8 AS n FROM snippets WHERE state = 'rendered'")).rows[0]!.n;
      await waitFor(async () => acked.size >= 150 && (await rendered()) >= 20, 60_000, 20);
      // Mid-load: one server and one watcher die without a chance to flush or release anything.
      b.child.kill('SIGKILL');
      wa.child.kill('SIGKILL');
      await Promise.all([exited(b.child), exited(wa.child)]);
      await new Promise((r) => setTimeout(r, 300));
      b = await serve('serve-b');
      const wa2 = await watcher('watch-a');
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await Promise.all(clients);

      // Every acknowledged event is stored exactly once (jump_events.event_id is unique: count the acks).
      const stored = new Set((await own.pool.query<{ event_id: string }>('SELECT event_id FROM jump_events')).rows.map((r) => r.event_id));
      expect(acked.size).toBeGreaterThan(150);
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
      // Every stored event is rendered exactly once, into one file of the shared folder.
      await waitFor(async () => (await rendered()) === stored.size, 120_000, 100);
      for (const c of [a.child, b.child, wa2.child, wb.child]) c.kill('SIGTERM');
      for (const c of [a.child, b.child, wa2.child, wb.child]) expect(await exited(c)).toBe(0);
      const rows = (await own.pool.query<{ event_id: string; state: string; path: string }>('SELECT event_id, state, path FROM snippets')).rows;
      expect(rows.length).toBe(stored.size);
      expect(new Set(rows.map((r) => r.event_id))).toEqual(stored);
      for (const r of rows) expect(r.path).toBe(join(dir, 'snippets', `${r.event_id}.wav`));
      const wavs = readdirSync(join(dir, 'snippets')).filter((f) => f.endsWith('.wav'));
      expect(wavs.sort()).toEqual([...stored].map((id) => `${id}.wav`).sort());
      // Each server kept its own mirror in the shared dir.
      expect(readdirSync(join(dir, 'nodes')).sort()).toEqual(['serve-a', 'serve-b']);
    } finally {
      await own.close();
    }
  }, 240_000);
});
