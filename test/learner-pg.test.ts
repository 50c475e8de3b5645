import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { mulberry32 } from '../src/shared/prng.js';
import { openPgStore, type PgStore } from '../src/store/pg/index.js';
import { LEARNER_LOCK } from '../src/store/pg/leader.js';
import { exited, runCli, spawnCli, tempDir } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import { putLabel } from './store-contract/fixtures-bandit.js';
import { learnerEvents, learnerLabel } from './support/learner-events.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Labeled jumps where candidate 1 is clearly better than the baseline's nearest (as in the learner
 * loop's test): enough for the gate to promote a policy.
 */
async function seed(store: PgStore, from: number, n: number, seedN: number): Promise<void> {
  const rand = mulberry32(seedN);
  const events = learnerEvents(rand, from, n);
  await store.events.insertMany(events);
  for (const e of events) await putLabel(store, e.event_id, 'l', learnerLabel(e, rand));
}

/**
 * The learner on PostgreSQL (issue 15): every `serve` node runs a learner thread; exactly one holds the
 * learner's advisory lock and learns, the others serve the versions it promotes from the store, and
 * take over when it dies.
 */
describe('the learner elected on PostgreSQL: two serve nodes, one database (real server)', () => {
  let cluster: PgCluster;
  let store: PgStore;
  let url: string;
  const tmp = tempDir();
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store?.close();
    cluster?.stop();
    tmp.cleanup();
  });

  it('one node learns and the other serves its versions; kill -9 the learner and the other takes over', async () => {
    url = cluster.database('learners');
    store = await openPgStore(url, 4, 'test');
    const env = (name: string) => ({
      RL_DATABASE_URL: url, RL_DATA_DIR: join(tmp.dir, `node-${name}`), PORT: '0', HOST: '127.0.0.1',
      RL_BANDIT_PUBLISH_EVERY: '200', RL_BANDIT_MIN_DECISIONS: '20',
    });
    const start = async (name: string) => {
      const s = await spawnCli(['serve'], env(name), /listening on (http:\/\/\S+)/);
      children.push(s.child);
      return { child: s.child, url: s.match[1]!, output: s.output };
    };
    /** The application names of the connections holding the learner's lock (pid of their process). */
    const holders = async () =>
      (
        await store.pool.query<{ name: string }>(
          `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::int8 << 32) | l.objid::int8) = $1`,
          [LEARNER_LOCK],
        )
      ).rows.map((r) => r.name);
    const servedVersion = async (base: string) => ((await (await fetch(`${base}/api/rl/policy-model`)).json()) as { version: string }).version;

    const a = await start('a');
    const b = await start('b');
    // a started its learner before it listened, so it took the lock; b asks for it in vain.
    expect(await holders()).toEqual([`harmonizer-learner ${a.child.pid}`]);
    expect(await servedVersion(b.url)).toBe('cold-start');

    await seed(store, 0, 800, 9);
    const active = await until('a promoted policy', () => store.bandit.activePolicy());
    // b follows the version a promoted (from the store: policy.json is a's file only).
    await until('b serving the active policy', async () => (await servedVersion(b.url)) === active.version);
    await until('a serving the active policy', async () => (await servedVersion(a.url)) === active.version);
    const last = await until('the learner caught up', async () => {
      const seq = await store.bandit.lastSeq();
      const p = await store.bandit.policies(1000);
      return p.length === Math.floor(seq / 200) && seq > 800 ? p : null;
    });
    // One learner: the versions are one series, one per 200 entries of the log, and still one lock holder.
    expect(last.map((p) => p.last_seq).sort((x, y) => x - y)).toEqual(Array.from({ length: last.length }, (_, i) => 200 * (i + 1)));
    expect(await holders()).toEqual([`harmonizer-learner ${a.child.pid}`]);

    // The learner dies: its connection closes, the lock is released, b takes over and learns on.
    a.child.kill('SIGKILL');
    await exited(a.child);
    await until('b holding the learner lock', async () => JSON.stringify(await holders()) === JSON.stringify([`harmonizer-learner ${b.child.pid}`]), 20_000);
    const before = Math.max(...last.map((p) => p.last_seq));
    await seed(store, 800, 600, 11);
    await until('b publishing versions of the new rewards', async () => (await store.bandit.policies(1000)).some((p) => p.last_seq > before));
    await until('b caught up', async () => {
      const seq = await store.bandit.lastSeq();
      return (await store.bandit.pendingCount()) === 0 && seq > 1400 && (await store.bandit.policies(1000)).length === Math.floor(seq / 200);
    });
    const now = await until('an active policy', () => store.bandit.activePolicy());
    await until('b serving the active policy', async () => (await servedVersion(b.url)) === (await store.bandit.activePolicy())?.version);
    expect(now.version).toMatch(/\S/);
    const all = await store.bandit.policies(1000);
    expect(new Set(all.map((p) => p.last_seq)).size).toBe(all.length); // no version published twice

    b.child.kill('SIGTERM');
    expect(await exited(b.child)).toBe(0);
    expect(await holders()).toEqual([]);
  }, 240_000);

  it('bandit replay, evaluate and train run on PostgreSQL; a node serves the model promoted in the store', async () => {
    const env = { RL_DATABASE_URL: url, RL_DATA_DIR: join(tmp.dir, 'cli'), RL_BANDIT_MIN_DECISIONS: '20' };
    const recorded = (await store.bandit.policies(1000)).length;
    const replay = await runCli(['bandit', 'replay', '--json'], env);
    expect(replay.code, replay.stderr).toBe(0);
    // The versions of the two learners (before and after the failover) are the ones one learner makes of the log.
    const result = JSON.parse(replay.stdout) as { entries: number; versions: number; matching_recorded: number; recorded: number };
    expect(result).toMatchObject({ entries: await store.bandit.lastSeq(), matching_recorded: recorded, recorded });
    const ev = await runCli(['evaluate', '--json', '--policy', 'baseline', '--policy', 'uniform'], env);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).logged.n).toBe(await store.bandit.evaluationRows({ limit: 1_000_000 }).then((r) => r.length));
    const train = await runCli(['train', '--workers', '0'], env);
    expect(train.code, train.stderr).toBe(0);
    expect((await store.models.list()).length).toBe(1);

    // A model promoted on one machine is served by every node (from the models table).
    await store.models.record({ version: 'm-pg', created_at: '2026-12-02T00:00:00Z', n_examples: 1, data_hash: 'h', training_ms: 1, metrics: {} }, '{"version":"m-pg"}', true, 'test');
    const n = await spawnCli(['serve'], { ...env, PORT: '0', HOST: '127.0.0.1', RL_DATA_DIR: join(tmp.dir, 'node-c') }, /listening on (http:\/\/\S+)/);
    children.push(n.child);
    const r = await fetch(`${n.match[1]}/api/rl/model`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('{"version":"m-pg"}');
    n.child.kill('SIGTERM');
    expect(await exited(n.child)).toBe(0);
  }, 120_000);
});
