import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgBackend } from '../src/ingest/pg-backend.js';
import { GroupCommitWriter } from '../src/ingest/writer.js';
import { validateEvent } from '../src/ingest/validate.js';
import { stagedEvent, type JumpEvent, type ListenerSignal } from '../src/shared/jump-event.js';
import { openPgPool, type PgPool } from '../src/store/pg/index.js';
import { EVENT_COLUMNS, eventParams } from '../src/store/event-row.js';
import { exited, makeEvent, spawnCli, tempDir } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const event = (over: Record<string, unknown> = {}): JumpEvent => {
  const r = validateEvent(makeEvent(over), 0, Date.now());
  if (!r.ok) throw new Error('invalid test event');
  return r.event;
};

/**
 * The ingest backend on PostgreSQL (issue 15): two ingest nodes on one database, each with its own
 * JSONL mirror, against a real throw-away server.
 */
describe('ingest on PostgreSQL: two nodes, one database (real server)', () => {
  let cluster: PgCluster;
  let pool: PgPool;
  const tmp = tempDir();

  beforeAll(async () => {
    cluster = await startPgCluster();
    pool = openPgPool(cluster.database('ingest'), 8);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    cluster?.stop();
    tmp.cleanup();
  });

  const node = async (name: string) => {
    const backend = await PgBackend.start({ pool, jsonlPath: join(tmp.dir, name, 'jump_events.jsonl'), nodeId: name, rejectedMaxBytes: 1 << 20 });
    const writer = new GroupCommitWriter(backend, { maxEvents: 200, maxDelayMs: 0, maxQueued: 100_000 });
    return { backend, writer, mirror: () => readFileSync(join(tmp.dir, name, 'jump_events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as JumpEvent).event_id) };
  };

  it('duplicates sent to both nodes at once are stored once; each mirror holds what its node stored; assignments agree', async () => {
    const a = await node('a');
    const b = await node('b');
    const shared = Array.from({ length: 150 }, () => event());
    const onlyA = Array.from({ length: 200 }, () => event());
    const onlyB = Array.from({ length: 200 }, () => event());
    const send = (w: GroupCommitWriter, events: JumpEvent[]) =>
      Promise.all(Array.from({ length: Math.ceil(events.length / 25) }, (_, i) => w.submit(events.slice(i * 25, i * 25 + 25).map(stagedEvent))));
    await Promise.all([send(a.writer, [...shared, ...onlyA]), send(b.writer, [...onlyB, ...shared]), send(a.writer, shared)]);
    const ids = (await pool.query<{ event_id: string }>('SELECT event_id FROM jump_events')).rows.map((r) => r.event_id);
    expect(ids.length).toBe(550);
    expect(new Set(ids).size).toBe(550);
    const ma = a.mirror();
    const mb = b.mirror();
    expect(ma.length + mb.length).toBe(550); // every stored event in exactly one node's mirror
    expect(new Set([...ma, ...mb]).size).toBe(550);
    for (const e of onlyA) expect(ma).toContain(e.event_id);
    // The row is what the SQLite store would hold: same columns, booleans as 0/1, objects as their JSON text.
    const sample = onlyA[3]!;
    const row = (await pool.query({ text: `SELECT ${EVENT_COLUMNS.join(', ')} FROM jump_events WHERE event_id = $1`, values: [sample.event_id], rowMode: 'array' })).rows[0];
    expect(row).toEqual(eventParams(sample));

    const assign = (w: GroupCommitWriter, arm: 'baseline' | 'rl') => w.assign({ session_id: 'both', arm, probability: 0.5, mode: 'auto', eps: 0.1, model_version: null, reason: null, assigned_at: Date.now() });
    const [x, y] = await Promise.all([assign(a.writer, 'rl'), assign(b.writer, 'baseline')]);
    expect(x.arm).toBe(y.arm);
    expect((await pool.query("SELECT count(*)::int AS n FROM policy_assignments WHERE session_id = 'both'")).rows[0].n).toBe(1);
    await a.writer.close();
    await b.writer.close();
  }, 60_000);

  it('dead letters and signals; a signal sent twice is stored once; /healthz is honest about the database', async () => {
    const n = await node('c');
    const sig: ListenerSignal = { signal_id: 'sig-1', session_id: 's', track_id: 't', kind: 'seek', position_s: 1.5, beat_index: null, after_jump_event_id: null, ms_since_jump: null, policy_mode: null, client_ts: null, received_at: 1 };
    await n.writer.submit([], [{ received_at: 1, reason: 'invalid_event', detail: '{}', raw: '[0,0]', items: 2 }], [sig, sig]);
    await n.writer.submit([], [], [sig]);
    expect((await pool.query("SELECT count(*)::int AS n FROM listener_events WHERE signal_id = 'sig-1'")).rows[0].n).toBe(1);
    expect((await pool.query("SELECT items FROM rejected_events WHERE raw = '[0,0]'")).rows[0].items).toBe(2);
    expect(await n.backend.health()).toEqual({ ok: true });
    await n.writer.close();
  });

  it('restart: mirror lines after the cursor (a COMMIT that may be lost) are stored again', async () => {
    const first = await node('d');
    const acked = event();
    await first.writer.submit([stagedEvent(acked)]);
    await first.writer.close();
    // A line written before a COMMIT that never happened (the node died in between).
    const lost = event();
    appendFileSync(join(tmp.dir, 'd', 'jump_events.jsonl'), JSON.stringify(lost) + '\n');
    const again = await node('d');
    expect(again.backend.recovered).toMatchObject({ lines: 1, inserted: 1, invalid: 0 });
    expect((await pool.query('SELECT count(*)::int AS n FROM jump_events WHERE event_id = ANY($1)', [[acked.event_id, lost.event_id]])).rows[0].n).toBe(2);
    await again.writer.close();
    const third = await node('d');
    expect(third.backend.recovered.lines).toBe(0); // the cursor moved to the end
    await third.writer.close();
  });

  it('two serve processes on one database: duplicates to both, kill -9 one under load, restart: every acknowledged event stored exactly once', async () => {
    const url = cluster.database('nodes');
    const env = (name: string) => ({ RL_DATABASE_URL: url, RL_DATA_DIR: join(tmp.dir, `node-${name}`), PORT: '0', HOST: '127.0.0.1' });
    const start = async (name: string) => {
      const s = await spawnCli(['serve'], env(name), /listening on (http:\/\/\S+)/);
      return { child: s.child, url: s.match[1]!, output: s.output };
    };
    const a = await start('a');
    let b = await start('b');
    expect(a.output()).toMatch(/node \S+ on PostgreSQL postgres:/);
    const acked = new Set<string>();
    let stop = false;
    const client = async (k: number) => {
      for (let i = 0; !stop; i++) {
        const events = Array.from({ length: 5 }, () => makeEvent());
        const body = JSON.stringify(events);
        // Every beacon to one node, every third to both (a retry that went to the other node).
        const targets = i % 3 === 0 ? [a.url, b.url] : [(i + k) % 2 === 0 ? a.url : b.url];
        await Promise.all(targets.map(async (u) => {
          const r = await fetch(`${u}/api/rl/jump-event`, { method: 'POST', body }).catch(() => null);
          if (r?.status === 204) for (const e of events) acked.add(e.event_id as string);
        }));
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 1500));
    b.child.kill('SIGKILL');
    await exited(b.child);
    await new Promise((r) => setTimeout(r, 500));
    b = await start('b');
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(clients);
    for (const n of [a, b]) {
      n.child.kill('SIGTERM');
      expect(await exited(n.child)).toBe(0);
    }
    const nodes = openPgPool(url, 1);
    const rows = (await nodes.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::int AS n FROM jump_events GROUP BY event_id')).rows;
    await nodes.end();
    const stored = new Map(rows.map((r) => [r.event_id, r.n]));
    expect(acked.size).toBeGreaterThan(100);
    expect([...acked].filter((id) => stored.get(id) !== 1)).toEqual([]);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  }, 90_000);

  it('a read-only database: commits fail with STORAGE_UNAVAILABLE and a sentence, health says why, and both recover', async () => {
    const url = cluster.database('readonly');
    const own = openPgPool(url, 2);
    const admin = openPgPool(url, 1);
    const backend = await PgBackend.start({ pool: own, jsonlPath: join(tmp.dir, 'ro', 'jump_events.jsonl'), nodeId: 'ro' });
    const writer = new GroupCommitWriter(backend, { maxEvents: 200, maxDelayMs: 0, maxQueued: 1000 });
    const reconnect = () => admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'readonly' AND pid <> pg_backend_pid()");
    try {
      await admin.query('ALTER DATABASE readonly SET default_transaction_read_only = on');
      await reconnect();
      // The pool's connections were cut: the first use may see that; then new ones are read-only.
      const health = await waitFor(async () => {
        const h = await backend.health();
        return !h.ok && /read-only/.test(h.reason ?? '') ? h : undefined;
      });
      expect(health).toEqual({ ok: false, reason: 'the database is read-only' });
      const refused = await writer.submit([stagedEvent(event())]).then(() => null, (e: unknown) => e as { code: string; message: string; headers?: Record<string, string> });
      expect(refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: 'cannot store the events now: the database is read-only; retry later', headers: { 'Retry-After': '30' } });
      await admin.query('ALTER DATABASE readonly RESET default_transaction_read_only');
      await reconnect();
      await waitFor(async () => ((await backend.health()).ok ? true : undefined));
      await writer.submit([stagedEvent(event())]);
    } finally {
      await writer.close();
      await own.end();
      await admin.end();
    }
  }, 60_000);
});
