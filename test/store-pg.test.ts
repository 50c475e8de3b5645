import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Store } from '../src/store/index.js';
import { COPY_TABLES, PG_MIGRATIONS, PG_SCHEMA_VERSION, migratePg, openPgPool } from '../src/store/pg/index.js';
import { committedMaxEventId } from '../src/store/pg/barrier.js';
import { LEARNER_LOCK, PgLeaderLock, pgStore } from '../src/store/pg/index.js';
import type { PolicyRow } from '../src/store/index.js';
import { createApp } from '../src/ingest/server.js';
import { exited, makeEvent, runCli, spawnCli, tempDir, testConfig } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import { waitFor } from './support/wait.js';

/** Tables of the SQLite store that PostgreSQL does not have, on purpose (see src/store/pg/schema.ts). */
const SQLITE_ONLY = ['jump_events_inbox', 'mirror_cursor'];

/**
 * The PostgreSQL store so far (issue 15), against a real throw-away server: the schema matches the
 * SQLite store column for column, concurrent nodes migrate once, and `db copy` moves a populated
 * SQLite store without loss (counts and checksums).
 */
describe('PostgreSQL store (real server)', () => {
  let cluster: PgCluster;
  const tmp = tempDir();

  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 60_000);
  afterAll(() => {
    cluster?.stop();
    tmp.cleanup();
  });

  const columnsOf = async (pool: pg.Pool, table: string) =>
    (await pool.query<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 ORDER BY 1', [table])).rows.map((r) => r.c);

  it('three nodes migrating at once apply each migration once; db status tells the version', async () => {
    const url = cluster.database('migrate3');
    const runs = await Promise.all([1, 2, 3].map(() => runCli(['db', 'migrate'], { RL_DATABASE_URL: url })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const outs = runs.map((r) => r.stdout.trim()).sort();
    expect(outs.filter((o) => o.startsWith('applied migration'))).toHaveLength(1);
    expect(outs.filter((o) => o === `up to date at schema version ${PG_SCHEMA_VERSION}`)).toHaveLength(2);
    const pool = openPgPool(url, 1);
    try {
      const v = await pool.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version');
      expect(v.rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await pool.end();
    }
    const status = await runCli(['db', 'status', '--json'], { RL_DATABASE_URL: url });
    expect(JSON.parse(status.stdout)).toMatchObject({ version: PG_SCHEMA_VERSION, latest: PG_SCHEMA_VERSION, pending: [] });
  }, 60_000);

  it('three serve nodes starting at once on an empty database migrate it once and all serve', async () => {
    const url = cluster.database('start3');
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((n) =>
      spawnCli(['serve'], { RL_DATABASE_URL: url, RL_NODE_ID: n, RL_DATA_DIR: join(tmp.dir, 'start3'), PORT: '0', HOST: '127.0.0.1', RL_THREADS: '1' }, /listening on (http:\/\/\S+)/)));
    try {
      for (const n of nodes) expect((await fetch(`${n.match[1]}/healthz`)).status).toBe(200);
      const pool = openPgPool(url, 1);
      try {
        const v = await pool.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version');
        expect(v.rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
      } finally {
        await pool.end();
      }
    } finally {
      for (const n of nodes) n.child.kill('SIGTERM');
      for (const n of nodes) expect(await exited(n.child)).toBe(0);
    }
  }, 90_000);

  it('start runs the whole system on PostgreSQL: the demo track is registered there and its jumps are rendered', async () => {
    const url = cluster.database('start_pg');
    const dir = join(tmp.dir, 'start-pg');
    const node = await spawnCli(['start'], { RL_DATABASE_URL: url, RL_NODE_ID: 'solo', RL_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', RL_THREADS: '1' }, /listening on (http:\/\/\S+)/);
    try {
      const base = node.match[1]!;
      expect(node.output()).toMatch(/node solo on PostgreSQL postgres:/);
      const { tracks } = (await (await fetch(`${base}/api/tracks`)).json()) as { tracks: { id: string }[] };
      expect(tracks.map((t) => t.id)).toContain('demo');
      const r = await fetch(`${base}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(makeEvent({ track_id: 'demo', source_time: 5, target_time: 20 })) });
      expect(r.status).toBe(204);
      const pool = openPgPool(url, 1);
      try {
        const rendered = await waitFor(async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM snippets WHERE state = 'rendered'")).rows[0]!.n === 1 || undefined, 60_000, 200);
        expect(rendered).toBe(true);
        expect((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM tracks WHERE track_id = 'demo'")).rows[0]!.n).toBe(1);
      } finally {
        await pool.end();
      }
    } finally {
      node.child.kill('SIGTERM');
      expect(await exited(node.child)).toBe(0);
    }
  }, 120_000);

  it('has every table and column of the SQLite store (but its inbox and single mirror cursor)', async () => {
    const url = cluster.database('parity');
    expect((await runCli(['db', 'migrate'], { RL_DATABASE_URL: url })).code).toBe(0);
    const store = Store.open(join(tmp.dir, 'parity.sqlite3'));
    const pool = openPgPool(url, 1);
    try {
      const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]).filter((t) => !SQLITE_ONLY.includes(t));
      expect(tables.sort()).toEqual(COPY_TABLES.map((t) => t.name).sort());
      for (const t of tables) {
        const sqlite = (store.db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY name').pluck().all(t) as string[]);
        expect(await columnsOf(pool, t), t).toEqual(sqlite);
      }
    } finally {
      store.close();
      await pool.end();
    }
  });

  it('db copy moves a populated SQLite store: counts and checksums match, ids and counters carry over, a second copy is refused', async () => {
    const dataDir = join(tmp.dir, 'populated');
    const config = testConfig(dataDir);
    // Events, dead letters, signals and assignments through the real ingest path (some still in the inbox).
    const app = await createApp(config, { inlineWriter: true });
    const events = Array.from({ length: 120 }, (_, i) => makeEvent({ session_id: `s${i % 7}`, source_time: i * 0.1 + 0.2, track_title: i === 3 ? 'Zoë ♪ "quoted"' : undefined }));
    const post = (path: string, body: string) => app.router.handle({ method: 'POST', path, query: new URLSearchParams(), headers: {}, params: {}, body: Buffer.from(body) });
    for (let i = 0; i < events.length; i += 40) expect((await post('/api/rl/jump-event', JSON.stringify(events.slice(i, i + 40)))).status).toBe(204);
    expect((await post('/api/rl/jump-event', '[0, {"event_id": "bad"}]')).status).toBe(400);
    // A raw NUL byte: invalid JSON, kept as a dead letter whose text holds U+0000.
    expect((await post('/api/rl/jump-event', '{"event_id": "nul\u0000byte"}')).status).toBe(400);
    expect((await post('/api/rl/listener-event', JSON.stringify({ signal_id: 'sig-1', session_id: 's1', track_id: 'demo', kind: 'seek', position_s: 3.5, client_ts: 1 }))).status).toBe(204);
    for (const s of ['s1', 's2', 's3']) expect((await app.router.handle({ method: 'GET', path: '/api/rl/policy', query: new URLSearchParams({ session_id: s }), headers: {}, params: {}, body: new Uint8Array(0) })).status).toBe(200);
    await app.close();
    const store = Store.open(config.paths.db);
    try {
      const now = 1_800_000_000_000;
      store.db.prepare("INSERT INTO tracks VALUES ('demo', 'Demo', '/x/demo.wav', 'abc', 150.25, 44100, 2, ?)").run(now);
      store.db.prepare("INSERT INTO snippets (event_id, state, attempts, enqueued_at, updated_at, duration_s) VALUES (?, 'rendered', 1, ?, ?, 5.000000000000001)").run(events[0]!.event_id, now, now);
      store.db.prepare("INSERT INTO labels (event_id, labeler, label, notes, created_at, updated_at) VALUES (?, 'ann', 'good', '=1+1, \"x\"', ?, ?)").run(events[0]!.event_id, now, now);
      store.db.prepare("INSERT INTO labels (event_id, labeler, label, created_at, updated_at) VALUES (?, 'bob', 'bad', ?, ?)").run(events[1]!.event_id, now, now);
      store.db.prepare("INSERT INTO label_leases VALUES (?, 'ann', ?)").run(events[2]!.event_id, now);
      store.db.prepare("INSERT INTO label_skips VALUES ('ann', ?, 1, ?), ('Ann', ?, 2, ?)").run(events[3]!.event_id, now, events[3]!.event_id, now);
      store.db.prepare("INSERT INTO models VALUES ('m1', '2026-12-01T00:00:00Z', 1, 1, 'beat baseline', 300, 'h', 12.5, '{}', '{\"w\":[0.1]}')").run();
      store.db.prepare("INSERT INTO rewards VALUES (?, ?, 'jump', 0.3333333333333333, 'label', 1, NULL, ?)").run(events[0]!.event_id, events[0]!.event_id, now);
      store.db.prepare("INSERT INTO reward_log (decision_id, event_id, kind, reward, weight, source, logged_at) VALUES (?, ?, 'jump', 1, 1, 'label', ?)").run(events[0]!.event_id, events[0]!.event_id, now);
      store.db.prepare("INSERT INTO bandit_policies VALUES ('p1', '2026-12-01T00:00:00Z', 'active', 1, 1, 1, 'promoted', NULL, '{}')").run();
      store.db.prepare('UPDATE render_cursor SET last_event = 17').run();
      store.db.prepare('UPDATE reward_cursor SET last_event = 42').run();
    } finally {
      store.close();
    }

    const url = cluster.database('copy');
    const before = createHash('sha256').update(readFileSync(config.paths.db)).digest('hex');
    const r = await runCli(['db', 'copy', '--from', `sqlite:${config.paths.db}`, '--to', url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // The copy reads a snapshot: the source file is not touched.
    expect(createHash('sha256').update(readFileSync(config.paths.db)).digest('hex')).toBe(before);
    const result = JSON.parse(r.stdout) as { tables: { table: string; rows: number }[] };
    const rows = Object.fromEntries(result.tables.map((t) => [t.table, t.rows]));
    expect(rows).toMatchObject({ jump_events: 120, rejected_events: 2, listener_events: 1, policy_assignments: 3, tracks: 1, labels: 2, label_skips: 2, reward_log: 1 });

    const pool = openPgPool(url, 2);
    const src = Store.open(config.paths.db, { readonly: true });
    try {
      for (const t of COPY_TABLES) {
        const n = (await pool.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${t.name}`)).rows[0]!.n;
        expect(n, t.name).toBe(src.db.prepare(`SELECT count(*) FROM ${t.name}`).pluck().get());
      }
      const e3 = (await pool.query('SELECT * FROM jump_events WHERE event_id = $1', [events[3]!.event_id])).rows[0];
      expect(e3).toEqual(src.db.prepare('SELECT * FROM jump_events WHERE event_id = ?').get(events[3]!.event_id));
      // A dead letter's NUL character is stored as U+FFFD (PostgreSQL text cannot hold U+0000).
      const raws = (await pool.query<{ raw: string }>('SELECT raw FROM rejected_events ORDER BY id')).rows.map((x) => x.raw);
      expect(raws[1]).toBe('{"event_id": "nul\uFFFDbyte"}');
      expect((await pool.query('SELECT last_event FROM render_cursor')).rows[0].last_event).toBe(17);
      expect((await pool.query('SELECT n FROM label_changes')).rows[0].n).toBe(src.db.prepare('SELECT n FROM label_changes').pluck().get());
      // Identity sequences continue after the copied ids.
      const maxId = src.db.prepare('SELECT max(id) FROM jump_events').pluck().get() as number;
      const next = await pool.query<{ id: number }>("INSERT INTO jump_events (event_id, session_id, track_id, mode, source_index, target_index, source_time, target_time, received_at) VALUES ('new', 's', 't', 'jukebox', 1, 2, 0, 1, 0) RETURNING id");
      expect(next.rows[0]!.id).toBe(maxId + 1);
    } finally {
      src.close();
      await pool.end();
    }
    const again = await runCli(['db', 'copy', '--from', `sqlite:${config.paths.db}`, '--to', url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds data .* copy into an empty database/);
    const other = join(tmp.dir, 'not-a-store.sqlite3');
    new Database(other).exec('CREATE TABLE t (x)');
    const notStore = await runCli(['db', 'copy', '--from', `sqlite:${other}`, '--to', cluster.database('copy2')]);
    expect(notStore.code, notStore.stderr).toBe(2);
    expect(notStore.stderr).toMatch(/is not a harmonizer store/);
  }, 120_000);

  it('a command without PostgreSQL refuses RL_DATABASE_URL instead of quietly using SQLite; telemetry reads PostgreSQL', async () => {
    // replay rebuilds a SQLite store from its mirror: on PostgreSQL each node recovers its own at start-up.
    const r = await runCli(['replay'], { RL_DATABASE_URL: cluster.database('refuse_replay'), RL_DATA_DIR: join(tmp.dir, 'srv'), PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RL_DATABASE_URL is set, but harmonizer replay works on a SQLite store only .*; on PostgreSQL: .*telemetry/);
    const url = cluster.database('telemetry_cli');
    const pool = openPgPool(url, 2);
    await migratePg(pool);
    await pool.query("INSERT INTO jump_events (event_id, session_id, track_id, mode, source_index, target_index, source_time, target_time, client_ts, received_at, policy_mode) VALUES ('e1', 's1', 'demo', 'jukebox', 1, 2, 0.5, 1.0, 1, $1, 'rl')", [Date.now()]);
    await pool.end();
    const t = await runCli(['telemetry', '--json'], { RL_DATABASE_URL: url, RL_DATA_DIR: join(tmp.dir, 'srv') });
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ events: { total: 1, per_arm: { rl: 1 } } });
    const bad = await runCli(['db', 'status'], { RL_DATABASE_URL: 'mysql://x' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/RL_DATABASE_URL must be a postgres:\/\/ URL/);
  });
  it('committedMaxEventId stays below an insert in flight (without holding the ingest back long), then moves past it once committed', async () => {
    const pool = openPgPool(cluster.database('barrier'), 4);
    try {
      await migratePg(pool);
      const insert = (c: pg.PoolClient | pg.Pool, id: string) =>
        c.query("INSERT INTO jump_events (event_id, session_id, track_id, mode, source_index, target_index, source_time, target_time, client_ts, received_at) VALUES ($1, 's', 'demo', 'jukebox', 1, 2, 0.5, 1.0, 1, 1)", [id]);
      expect(await committedMaxEventId(pool)).toBe(0);
      const a = await pool.connect();
      await a.query('BEGIN');
      await insert(a, 'early'); // takes the lower id, commits last
      await insert(pool, 'late'); // takes the higher id, commits at once
      const t0 = Date.now();
      // The open insert keeps the barrier where it was, although a higher id is visible; the wait is short.
      expect(await committedMaxEventId(pool)).toBe(0);
      expect(Date.now() - t0).toBeLessThan(1000);
      // Another insert is not held back for longer than that wait either.
      const t1 = Date.now();
      await insert(pool, 'later');
      expect(Date.now() - t1).toBeLessThan(1000);
      await a.query('COMMIT');
      a.release();
      const ids = (await pool.query<{ id: number; event_id: string }>('SELECT id, event_id FROM jump_events ORDER BY id')).rows;
      expect(ids.map((r) => r.event_id)).toEqual(['early', 'late', 'later']);
      // After the back-off the barrier takes the lock again and passes every committed row.
      const m = await waitFor(async () => ((await committedMaxEventId(pool)) === ids[2]!.id ? true : undefined), 5000, 100);
      expect(m).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('a process frozen in a transaction holding the barrier\'s lock loses its session after the idle-in-transaction limit, and the other nodes\' inserts go on', async () => {
    const url = cluster.database('frozen');
    const pool = openPgPool(url, 2);
    const frozen = openPgPool(url, 1, { idleInTransactionMs: 500 });
    try {
      await migratePg(pool);
      // The nodes' pools carry the limit (a minute), db commands' pools do not.
      expect((await pool.query<{ idle_in_transaction_session_timeout: string }>('SHOW idle_in_transaction_session_timeout')).rows[0]!.idle_in_transaction_session_timeout).toBe('1min');
      const c = await frozen.connect();
      let ended = '';
      c.on('error', (e) => (ended = e.message)); // the server ends this session
      await c.query('BEGIN');
      await c.query('LOCK TABLE jump_events IN SHARE MODE');
      // ... and the process stops here (SIGSTOP, a paused VM): the lock blocks every insert meanwhile.
      const t0 = Date.now();
      await pool.query("INSERT INTO jump_events (event_id, session_id, track_id, mode, source_index, target_index, source_time, target_time, client_ts, received_at) VALUES ('after', 's', 'demo', 'jukebox', 1, 2, 0.5, 1.0, 1, 1)");
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(5000);
      // The frozen transaction is gone: its next statement fails.
      expect(ended).toMatch(/terminating connection due to idle-in-transaction timeout/);
      const next = await c.query('SELECT 1').then(() => 'ran', (e: Error) => e.message);
      c.release(true);
      expect(next).toMatch(/not queryable/);
    } finally {
      await frozen.end();
      await pool.end();
    }
  });

  it('a learner that lost its election lock cannot activate a version, even before it noticed; the new holder can', async () => {
    const url = cluster.database('fence');
    const pool = openPgPool(url, 3);
    const first = new PgLeaderLock(url, LEARNER_LOCK, 'first');
    const second = new PgLeaderLock(url, LEARNER_LOCK, 'second');
    const row = (version: string, lastSeq: number): PolicyRow => ({
      version, created_at: '2026-01-01T00:00:00Z', status: 'candidate', first_seq: 1, last_seq: lastSeq, rewards: lastSeq, reason: 'published', evaluation: null, policy_json: '{}',
    });
    try {
      await migratePg(pool);
      expect(await first.tryAcquire()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
      const leader = pgStore(pool, 'first', { fence: first });
      await leader.bandit.insertPolicy(row('v1', 10));
      await leader.bandit.insertPolicy(row('v2', 20));
      await leader.bandit.activate('v1', 'promoted');
      expect(await leader.bandit.activePolicyVersion()).toBe('v1');

      // The first node's lock connection dies (a network partition, say); the second node takes over. The
      // first has not noticed yet: its fence still names its old connection.
      const stalePid = first.holderPid()!;
      await pool.query('SELECT pg_terminate_backend($1)', [stalePid]);
      expect(await waitFor(async () => ((await second.tryAcquire()) ? true : undefined), 5000, 50)).toBe(true);
      const stale = pgStore(pool, 'first, not yet noticed', { fence: { key: LEARNER_LOCK, holderPid: () => stalePid } });
      await expect(stale.bandit.activate('v2', 'promoted')).rejects.toMatchObject({ code: 'CONFLICT', message: 'not activating v2: this node no longer holds the learner lock (another node learns now)' });
      expect(await stale.bandit.activePolicyVersion()).toBe('v1');
      // Once it noticed (the lock's connection is gone), it does not even ask.
      expect(await first.tryAcquire()).toBe(false);
      await expect(leader.bandit.activate('v2', 'promoted')).rejects.toMatchObject({ code: 'CONFLICT' });
      // The new holder activates.
      await pgStore(pool, 'second', { fence: second }).bandit.activate('v2', 'promoted');
      expect(await leader.bandit.activePolicyVersion()).toBe('v2');
    } finally {
      await first.close();
      await second.close();
      await pool.end();
    }
  });
});
