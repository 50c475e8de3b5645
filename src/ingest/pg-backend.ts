import { dirname } from 'node:path';
import { HarmonizerError, fromStorageError, storageCause } from '../shared/errors.js';
import type { Assignment } from '../store/index.js';
import { assignOnce, touchMirrorCursor, insertEvents, insertEventLines, insertRejected, insertSignals, migratePg, mirrorCursor, pgTransaction, setMirrorCursor, type PgPool } from '../store/pg/index.js';
import { JsonlMirror } from './jsonl.js';
import { mirrorBatches, type ReplayResult } from './recovery.js';
import { DEFAULT_REJECTED_MAX_BYTES } from './commit.js';
import { probeDataDir } from './health.js';
import type { WriteBatch, WriteResult, WriterHealth } from './messages.js';
import type { WriteBackend } from './writer.js';

export interface PgBackendInit {
  pool: PgPool;
  /** This node's JSONL mirror (its local backup and recovery log). */
  jsonlPath: string;
  /** Names this node's mirror cursor; stable across restarts of the node. */
  nodeId: string;
  rejectedMaxBytes?: number;
}

const RECOVERY_BATCH = 2000;

/**
 * The ingest's write backend on PostgreSQL, one per ingest node: the same contract as the SQLite
 * writer thread (a batch resolves only once durable, then it may be acknowledged). Batches that arrive
 * while a commit runs are committed together by the next one (group commit). Each commit, in one
 * transaction: the events (ON CONFLICT DO NOTHING: a duplicate sent to two nodes is stored once), the
 * dead letters, the signals, this node's mirror lines for the events it stored and its mirror cursor;
 * then COMMIT (synchronous_commit: durable on the server), then the mirror's fdatasync, then resolve.
 * At start, mirror lines after the cursor (a group whose COMMIT may be lost) are inserted again.
 */
export class PgBackend implements WriteBackend {
  readonly recovered: ReplayResult;
  private queue: { batch: WriteBatch; resolve: (r: WriteResult) => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  /** The cause of the last failed commit, until a commit or a health write succeeds. */
  private lastFailure: string | undefined;

  private constructor(
    private readonly init: PgBackendInit,
    private readonly mirror: JsonlMirror,
    recovered: ReplayResult,
  ) {
    this.recovered = recovered;
  }

  static async start(init: PgBackendInit): Promise<PgBackend> {
    await migratePg(init.pool);
    const mirror = new JsonlMirror(init.jsonlPath);
    try {
      const cursor = await mirrorCursor(init.pool, init.nodeId);
      const recovered = await recover(init, mirror, cursor.fileId === mirror.fileId ? cursor.bytes : 0);
      return new PgBackend(init, mirror, recovered);
    } catch (err) {
      mirror.close();
      throw err;
    }
  }

  write(batch: WriteBatch): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new HarmonizerError('SHUTTING_DOWN', 'this ingest node is shutting down; retry on another', { headers: { 'Retry-After': '1' } }));
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Commits what is queued, group by group, until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        const results = await this.commit(group.map((g) => g.batch));
        this.lastFailure = undefined;
        group.forEach((g, i) => g.resolve(results[i]!));
      } catch (err) {
        const mapped = fromStorageError(err, 'store the events');
        this.lastFailure = storageCause(err) ?? 'the database refused the commit';
        console.error('ingest node: commit failed:', (err as Error).message);
        for (const g of group) g.reject(mapped);
      }
    }
    this.running = null;
  }

  private async commit(batches: readonly WriteBatch[]): Promise<WriteResult[]> {
    const t0 = performance.now();
    // Lines and ids stay as the HTTP thread made them: the events are never parsed on this side.
    const lines = batches.map((b) => (b.events ? b.events.text.split('\n') : []));
    const ids = batches.map((b) => b.events?.ids ?? []);
    const mirrorSize = this.mirror.size;
    let dropped = 0;
    const stored = await pgTransaction(this.init.pool, async (c) => {
      const all = await insertEventLines(c, lines.flat());
      for (const b of batches) dropped += await insertRejected(c, b.rejected, this.init.rejectedMaxBytes ?? DEFAULT_REJECTED_MAX_BYTES);
      await insertSignals(c, batches.flatMap((b) => b.signals));
      // Only the lines of the events this node stored: the mirror is this node's record of what it
      // acknowledged, and a duplicate stored by another node is in that node's mirror.
      const mine = lines.flatMap((ls, i) => ls.filter((_, k) => all.has(ids[i]![k]!)));
      if (mine.length > 0) this.mirror.write(mine.join('\n'));
      await setMirrorCursor(c, this.init.nodeId, this.mirror.size, this.mirror.fileId);
      return all;
    }).catch((err: unknown) => {
      // Not committed: cut this group's lines back out of the mirror, or recovery would store events
      // that were never acknowledged (harmless, but not what the mirror claims to be).
      if (this.mirror.size > mirrorSize) this.mirror.truncateTo(mirrorSize);
      throw err;
    });
    this.mirror.syncNow();
    const commitMs = performance.now() - t0;
    const seen = new Set<string>();
    return batches.map((b, i) => {
      // Each stored id counts once, for the first batch of the group that carried it.
      let inserted = 0;
      for (const id of ids[i]!) {
        if (stored.has(id) && !seen.has(id)) {
          seen.add(id);
          inserted++;
        }
      }
      const total = b.events?.ids.length ?? 0;
      return { inserted, duplicates: total - inserted, rejected: b.rejected.reduce((n, r) => n + (r.items ?? 1), 0), commitMs, ...(i === 0 ? { rejectedDropped: dropped } : {}) };
    });
  }

  async assign(a: Assignment): Promise<Assignment> {
    return assignOnce(this.init.pool, a);
  }

  /**
   * The database answers and takes a write (this node's mirror cursor row, rewritten unchanged: a
   * read-only or full server fails it; a commit in flight is not disturbed), and the data directory of
   * the mirror takes writes.
   */
  async health(): Promise<WriterHealth> {
    try {
      await touchMirrorCursor(this.init.pool, this.init.nodeId);
    } catch (err) {
      return { ok: false, reason: storageCause(err) ?? this.lastFailure ?? 'the PostgreSQL database refuses writes' };
    }
    const disk = probeDataDir(dirname(this.init.jsonlPath));
    if (disk.ok) this.lastFailure = undefined;
    return disk;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    this.mirror.syncNow();
    this.mirror.close();
  }
}

/** Inserts the mirror's lines from byte `from` again (ON CONFLICT DO NOTHING), then moves the cursor to the end. */
async function recover(init: PgBackendInit, mirror: JsonlMirror, from: number): Promise<ReplayResult> {
  const start = from > mirror.size ? 0 : from;
  const result: ReplayResult = { from: start, lines: 0, inserted: 0, present: 0, invalid: 0 };
  for (const events of mirrorBatches(init.jsonlPath, start, RECOVERY_BATCH, result)) {
    const stored = await pgTransaction(init.pool, (c) => insertEvents(c, events));
    result.inserted += stored.size;
    result.present += events.length - stored.size;
  }
  await setMirrorCursor(init.pool, init.nodeId, mirror.size, mirror.fileId);
  return result;
}
