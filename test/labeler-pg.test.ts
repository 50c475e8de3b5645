import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drumTrack } from '../src/demo/fixtures.js';
import { encodeWav } from '../src/render/index.js';
import { openPgStore } from '../src/store/pg/index.js';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { openLabeler, type Labeler } from '../src/labeler/index.js';
import { runCli, tempDir, testConfig } from './support/env.js';
import { ensureCompiled } from './support/compiled.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import { seedClips } from './store-contract/fixtures-labels.js';

/**
 * The labeler on PostgreSQL end to end (issue 15): two server nodes (each its own ingest server and
 * labeler with their own pools) on one database of a real throw-away PostgreSQL server, over HTTP.
 * Clips are seeded through the store's interface (fixtures-labels.ts).
 */
const TOKEN = 'pg-labeler-token-0123';
const API = '/api/rl/labeler';

interface Node {
  server: RunningServer;
  labeler: Labeler;
}

describe('labeler on PostgreSQL: two nodes, one database (real server)', () => {
  let cluster: PgCluster;
  const tmp = tempDir();
  const running: Node[] = [];

  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 60_000);
  afterAll(async () => {
    for (const n of running) {
      await n.server.close();
      await n.labeler.close();
    }
    cluster?.stop();
    tmp.cleanup();
  });

  /** Two nodes on a fresh database, `clips` rendered clips seeded. */
  const start = async (db: string, clips: number): Promise<[Node, Node]> => {
    const url = cluster.database(db);
    const node = async (name: string): Promise<Node> => {
      const config = testConfig(join(tmp.dir, db, name), { RL_DATABASE_URL: url, RL_NODE_ID: name, RL_LABELER_TOKEN: TOKEN, RL_DB_POOL: '4' });
      const labeler = await openLabeler(config, { model: { get: () => null } });
      const server = await startServer(config, { extraRoutes: () => labeler.routes });
      const n = { server, labeler };
      running.push(n);
      return n;
    };
    const a = await node('a');
    const b = await node('b');
    expect(a.labeler.store.kind).toBe('postgres');
    await seedClips(a.labeler.store, Array.from({ length: clips }, (_, i) => ({ event_id: `clip-${String(i).padStart(2, '0')}` })));
    return [a, b];
  };

  const call = async (n: Node, labeler: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const r = await fetch(`${n.server.url}${API}${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'X-Labeler-Name': encodeURIComponent(labeler), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await r.json()) as Record<string, unknown>;
    return { status: r.status, json };
  };
  const next = async (n: Node, labeler: string) => {
    const r = await call(n, labeler, 'GET', '/next');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as { clip: { event_id: string } | null; remaining: number; lease_expires_at: number | null };
  };

  it('leases, labels and undoes over HTTP; each node sees what the other stored', async () => {
    const [a, b] = await start('flow', 3);
    const first = await next(a, 'ann');
    expect(first.clip).not.toBeNull();
    expect(first.remaining).toBe(3);
    const clip = first.clip!.event_id;
    // A reload on the other node gets the same held clip; another labeler gets another one.
    expect((await next(b, 'ann')).clip?.event_id).toBe(clip);
    const bob = (await next(b, 'bob')).clip!.event_id;
    expect(bob).not.toBe(clip);
    // Bob's clip is leased to him: ann cannot renew it.
    expect((await call(a, 'ann', 'POST', '/lease', { event_id: bob })).status).toBe(409);

    const labeled = await call(b, 'ann', 'POST', '/label', { event_id: clip, label: 'good', notes: 'smooth', time_spent_ms: 900 });
    expect(labeled.status, JSON.stringify(labeled.json)).toBe(200);
    expect(labeled.json.label).toMatchObject({ event_id: clip, labeler: 'ann', label: 'good', notes: 'smooth', time_spent_ms: 900 });
    expect(await a.labeler.store.labels.get(clip, 'ann')).toMatchObject({ label: 'good' });
    const me = (await call(a, 'ann', 'GET', '/me?since=0')).json;
    expect(me).toMatchObject({ labeler: 'ann', labeled_total: 1, labeled_since: 1, remaining: 2 });
    expect((await call(a, 'ann', 'GET', '/recent')).json.decisions).toMatchObject([{ event_id: clip, label: 'good', track_title: 'Title of track-a' }]);
    // The labeled clip never comes back: ann's next is the third clip (bob holds the second).
    const third = (await next(a, 'ann')).clip!.event_id;
    expect([clip, bob]).not.toContain(third);

    const undone = await call(a, 'ann', 'POST', '/undo', {});
    expect(undone.status, JSON.stringify(undone.json)).toBe(200);
    expect(undone.json).toMatchObject({ undone: { event_id: clip, label: 'good' }, clip: { event_id: clip, labels_count: 0 }, leased: true });
    expect(await b.labeler.store.labels.get(clip, 'ann')).toBeUndefined();
    // The undone clip is hers again (and her lease on the third clip was released).
    expect((await next(b, 'ann')).clip?.event_id).toBe(clip);
    expect((await next(a, 'cy')).clip?.event_id).toBe(third);
    expect((await call(b, 'ann', 'POST', '/undo', {})).status).toBe(404);
    // The telemetry of either node reads the same labels.
    await call(a, 'ann', 'POST', '/label', { event_id: clip, label: 'bad' });
    expect((await b.labeler.store.labels.mix()).overall).toEqual({ good: 0, meh: 0, bad: 1, total: 1 });
  });

  it('labelers on both nodes at once never get the same clip; every clip is labeled exactly once', async () => {
    const [a, b] = await start('race', 24);
    const names = Array.from({ length: 8 }, (_, i) => `labeler-${i}`);
    const nodeOf = (i: number) => (i % 2 === 0 ? a : b);
    // All at once: eight distinct clips.
    const firsts = await Promise.all(names.map((name, i) => next(nodeOf(i), name)));
    const ids = firsts.map((f) => f.clip!.event_id);
    expect(new Set(ids).size).toBe(8);
    // Then each works through the queue (lease, label) until it is empty, alternating nodes.
    const labeled = new Map<string, string>();
    await Promise.all(
      names.map(async (name, i) => {
        for (let round = 0; ; round++) {
          const n = nodeOf(i + round);
          const clip = (await next(n, name)).clip;
          if (!clip) return;
          expect(labeled.has(clip.event_id), `${clip.event_id} handed to ${name} after ${labeled.get(clip.event_id)}`).toBe(false);
          labeled.set(clip.event_id, name);
          const r = await call(n, name, 'POST', '/label', { event_id: clip.event_id, label: round % 2 === 0 ? 'good' : 'meh' });
          expect(r.status).toBe(200);
        }
      }),
    );
    expect(labeled.size).toBe(24);
    const store = a.labeler.store;
    expect(await store.labels.count()).toBe(24);
    expect(await store.labels.clipCounts(2)).toEqual([]);
    expect((await store.labels.clipCounts(1)).length).toBe(24);
    expect(await store.labels.remaining('anyone', {}, 1)).toBe(0);
  });

  it('the track, analyze and labels commands run on PostgreSQL (child processes)', async () => {
    ensureCompiled('analysis'); // analyze runs the analysis worker of dist/
    const url = cluster.database('cli');
    const env = { RL_DATABASE_URL: url, RL_DATA_DIR: join(tmp.dir, 'cli') };
    const t = drumTrack(120, 8, 22050);
    const wav = join(tmp.dir, 'drums.wav');
    writeFileSync(wav, encodeWav([t.channels[0]!], t.sampleRate));
    const add = await runCli(['track', 'add', wav, '--id', 'drums', '--title', 'Drums'], env);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/registered track "drums" \(Drums\)/);
    const list = await runCli(['track', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/drums\s+Drums\s+0:08\.00/);
    const analyzed = await runCli(['analyze', 'drums'], env);
    expect(analyzed.code, analyzed.stderr).toBe(0);
    expect(analyzed.stdout).toMatch(/^track drums \(Drums\): 8\.00 s at 22050 Hz/);

    const store = await openPgStore(url, 2, 'cli');
    try {
      await seedClips(store, [{ event_id: 'x1', track_id: 'drums' }]);
      await store.labels.upsert({ event_id: 'x1', labeler: 'ann', label: 'meh', notes: 'ok', time_spent_ms: 10, now: 1_700_000_000_000 });
    } finally {
      await store.close();
    }
    const exported = await runCli(['labels', 'export'], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n').map((l) => JSON.parse(l))).toMatchObject([{ event_id: 'x1', labeler: 'ann', label: 'meh', notes: 'ok', track_id: 'drums', track_title: 'Drums' }]);
  });
});
