import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Store } from '../src/store/index.js';
import { MIGRATIONS } from '../src/store/schema.js';
import { WriterCore } from '../src/ingest/writer-core.js';
import { GroupCommitWriter, MAX_IN_FLIGHT, type WriteBackend } from '../src/ingest/writer.js';
import type { WriteBatch, WriteResult } from '../src/ingest/messages.js';
import { validateEvent } from '../src/ingest/validate.js';
import { stagedEvent, type StagedEvent } from '../src/shared/jump-event.js';
import { readLines } from '../src/ingest/jsonl.js';
import { makeEvent, tempDir } from './support/env.js';

const staged = (over: Record<string, unknown> = {}, receivedAt = 1_700_000_000_000): StagedEvent => {
  const r = validateEvent(makeEvent(over), 0, receivedAt);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return stagedEvent(r.event);
};

const batchOf = (events: StagedEvent[]): WriteBatch => ({
  events: { ids: events.map((e) => e.event_id), text: events.map((e) => e.line).join('\n'), receivedAt: events[0]!.received_at },
  rejected: [],
  signals: [],
});

describe('ingest inbox (one row per group commit)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('harmonizer-inbox-');
  });
  afterEach(() => tmp.cleanup());

  it('commits batches in one transaction, counts recent duplicates, mirrors every new event once', () => {
    const core = new WriterCore({ dbPath: join(tmp.dir, 'rl.sqlite3'), jsonlPath: join(tmp.dir, 'm.jsonl'), cacheMb: 16 });
    const a = [staged(), staged()];
    const b = [staged(), a[0]!, staged()];
    b[2] = b[0]!; // repeated inside one batch too
    const results = core.writeAll([batchOf(a), batchOf(b)]);
    expect(results.map((r) => [r.inserted, r.duplicates])).toEqual([[2, 0], [1, 2]]);
    // A later group: every id is recent now.
    expect(core.writeAll([batchOf([a[1]!])]).map((r) => [r.inserted, r.duplicates])).toEqual([[0, 1]]);
    core.syncMirrorNow();
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'), { readonly: true });
    try {
      // Still in the inbox: found by id, counted by telemetry.
      expect(store.events.inboxSize()).toBe(3);
      expect(store.events.get(b[0]!.event_id)?.session_id).toBe('session-1');
      expect(store.telemetry.totals().events).toBe(3);
    } finally {
      store.close();
    }
    while (core.mergeChunk());
    core.close();
    const after = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      expect(after.events.inboxSize()).toBe(0);
      expect(after.events.count()).toBe(3);
      for (const e of [...a, b[0]!]) expect(after.events.exists(e.event_id)).toBe(true);
      expect(after.events.exists('never-sent')).toBe(false);
    } finally {
      after.close();
    }
    expect([...readLines(join(tmp.dir, 'm.jsonl'))].map((l) => JSON.parse(l).event_id)).toEqual([a[0]!.event_id, a[1]!.event_id, b[0]!.event_id]);
  });

  it('merge keeps the first copy of an id staged twice, and merges in chunks of about MERGE_CHUNK events', () => {
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      const first = staged({ source_index: 1 });
      const again = { ...staged({ source_index: 2 }), event_id: first.event_id };
      again.line = again.line.replace(/"event_id":"[^"]+"/, `"event_id":"${first.event_id}"`);
      store.transaction(() => {
        store.events.stageBatch(first.line, 1, first.received_at);
        store.events.stageBatch(again.line, 1, again.received_at);
        for (let i = 0; i < 3; i++) {
          const es = Array.from({ length: 4 }, () => staged());
          store.events.stageBatch(es.map((e) => e.line).join('\n'), es.length, es[0]!.received_at);
        }
      });
      expect(store.events.inboxSize()).toBe(14);
      // Whole rows only: a chunk of 5 events takes the first 2 rows and the 4-event row fits next time.
      expect(store.events.mergeInbox(5)).toBe(2);
      expect(store.events.get(first.event_id)?.source_index).toBe(1);
      expect(store.events.mergeInbox(1)).toBe(4); // at least one row, whatever its size
      expect(store.events.mergeAll()).toBe(8);
      expect(store.events.count()).toBe(13);
    } finally {
      store.close();
    }
  });

  it('the backlog bound: past it the writer merges between commits', () => {
    const core = new WriterCore({ dbPath: join(tmp.dir, 'rl.sqlite3'), jsonlPath: join(tmp.dir, 'm.jsonl'), cacheMb: 16, mergeBacklog: 5 });
    core.writeAll([batchOf([staged(), staged(), staged()])]);
    expect(core.mergeBacklogged()).toBe(false);
    core.writeAll([batchOf([staged(), staged(), staged()])]);
    expect(core.mergeBacklogged()).toBe(true);
    while (core.mergeChunk());
    expect(core.mergeBacklogged()).toBe(false);
    core.close();
  });

  it('migration 6 carries inbox rows of the one-row-per-event layout over', () => {
    const path = join(tmp.dir, 'old.sqlite3');
    const db = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 5)) db.exec(m.sql);
    db.pragma('user_version = 5');
    const old = [staged(), staged()];
    const ins = db.prepare('INSERT INTO jump_events_inbox (event_id, received_at, line) VALUES (?, ?, ?)');
    for (const e of old) ins.run(e.event_id, e.received_at, e.line);
    db.close();
    const store = Store.open(path);
    try {
      expect(store.events.inboxSize()).toBe(2);
      expect(store.events.mergeAll()).toBe(2);
      for (const e of old) expect(store.events.get(e.event_id)?.received_at).toBe(e.received_at);
    } finally {
      store.close();
    }
  });
});

/** A backend that records batches and commits only when told to (scheduling is what is under test). */
class RecordingBackend implements WriteBackend {
  readonly recovered = { replayed: 0, lines: 0, malformed: 0 } as never;
  readonly batches: WriteBatch[] = [];
  private pending: (() => void)[] = [];
  write(batch: WriteBatch): Promise<WriteResult> {
    this.batches.push(batch);
    const n = batch.events?.ids.length ?? 0;
    return new Promise((resolve) => this.pending.push(() => resolve({ inserted: n, duplicates: 0, rejected: batch.rejected.length, commitMs: 0 })));
  }
  settleAll() {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }
  async assign(a: never) {
    return a;
  }
  async health() {
    return { ok: true };
  }
  async close() {}
}

describe('GroupCommitWriter', () => {
  const opts = { maxEvents: 1000, maxDelayMs: 0, maxQueued: 10_000 };

  it('sends the requests of one event-loop turn as one batch, and answers each only once its batch is durable', async () => {
    const backend = new RecordingBackend();
    const writer = new GroupCommitWriter(backend, opts);
    let acked = 0;
    const turn1 = Array.from({ length: 5 }, () => writer.submit([staged()]).then(() => acked++));
    expect(backend.batches).toHaveLength(0); // nothing leaves before the turn ends
    await new Promise((r) => setImmediate(r));
    expect(backend.batches).toHaveLength(1);
    expect(backend.batches[0]!.events!.ids).toHaveLength(5);
    expect(backend.batches[0]!.events!.text.split('\n')).toHaveLength(5);
    const turn2 = writer.submit([staged(), staged()], [{ received_at: 1, reason: 'invalid_event', detail: 'x', raw: null }]);
    await new Promise((r) => setImmediate(r));
    expect(backend.batches).toHaveLength(2);
    expect(backend.batches[1]!.rejected).toHaveLength(1);
    await Promise.resolve();
    expect(acked).toBe(0);
    backend.settleAll();
    await Promise.all([...turn1, turn2]);
    expect(acked).toBe(5);
    await writer.close();
  });

  it('splits at maxEvents; with MAX_IN_FLIGHT batches unsettled, queues up to maxQueued, then refuses with QUEUE_FULL', async () => {
    const backend = new RecordingBackend();
    const writer = new GroupCommitWriter(backend, { maxEvents: 2, maxDelayMs: 0, maxQueued: 3 });
    const ok = Array.from({ length: MAX_IN_FLIGHT }, () => writer.submit([staged(), staged()]));
    expect(backend.batches).toHaveLength(MAX_IN_FLIGHT); // full batches leave at once
    ok.push(writer.submit([staged()]), writer.submit([staged(), staged()]));
    await expect(writer.submit([staged()])).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await new Promise((r) => setImmediate(r));
    expect(backend.batches).toHaveLength(MAX_IN_FLIGHT); // the rest waits for room
    backend.settleAll();
    await new Promise((r) => setImmediate(r));
    expect(backend.batches.slice(MAX_IN_FLIGHT).map((b) => b.events!.ids.length)).toEqual([1, 2]);
    backend.settleAll();
    await Promise.all(ok);
    await writer.close();
  });
});

describe('JSONL mirror reading', () => {
  it('reads lines from an offset, keeps characters split across reads intact, and skips a torn tail', () => {
    const tmp = tempDir('harmonizer-jsonl-');
    try {
      const path = join(tmp.dir, 'm.jsonl');
      const lines = ['{"t":"Zoë"}', '{"t":"日本語の曲"}', '{"t":"🎵🎶"}', '{"t":"plain"}'];
      writeFileSync(path, lines.join('\n') + '\n{"t":"tor');
      // Buffers of 5 bytes split every multi-byte character somewhere.
      for (const size of [3, 5, 7, 1 << 20]) expect([...readLines(path, size)]).toEqual(lines);
      const second = Buffer.byteLength(lines[0]! + '\n');
      expect([...readLines(path, 5, second)]).toEqual(lines.slice(1));
    } finally {
      tmp.cleanup();
    }
  });
});
