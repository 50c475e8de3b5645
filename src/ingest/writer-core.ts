import { Store, type Assignment } from '../store/index.js';
import { JsonlMirror } from './jsonl.js';
import { replayMirror, type ReplayResult } from './recovery.js';
import { commitBatches, MERGE_BACKLOG, MERGE_CHUNK, RECENT_IDS } from './commit.js';
import { RecentIds } from './recent-ids.js';
import type { WriteBatch, WriteResult, WriterHealth, WriterInit } from './messages.js';
import { dirname } from 'node:path';
import { fromStorageError, storageCause } from '../shared/errors.js';
import { probeDataDir } from './health.js';

/** A healthy writer is probed again after this long (a health check per request would cost a file write each). */
const HEALTH_CACHE_MS = 1000;

/**
 * Everything the single writer does, independent of the thread it runs on: open and migrate the
 * store, merge a leftover inbox and recover the mirror at start-up, commit batches, merge the inbox.
 */
export class WriterCore {
  readonly recovered: ReplayResult;
  private readonly store: Store;
  private readonly mirror: JsonlMirror;
  private readonly recent = new RecentIds(RECENT_IDS);
  /** Events in the inbox (staged, not merged yet). */
  private staged = 0;
  private readonly mergeBacklog: number;
  private readonly rejectedMaxBytes: number | undefined;
  private readonly jsonlPath: string;
  /** The cause of the last failed write, until a write or a health probe succeeds. */
  private lastFailure: string | undefined;
  private checked: { at: number; health: WriterHealth } | undefined;

  constructor(init: WriterInit) {
    this.mergeBacklog = init.mergeBacklog ?? MERGE_BACKLOG;
    this.rejectedMaxBytes = init.rejectedMaxBytes;
    this.jsonlPath = init.jsonlPath;
    // One fsync per group commit: the mirror's fdatasync makes a batch power-loss durable before it
    // is acknowledged, and start-up recovery replays the mirror; SQLite's own WAL fsync would be a
    // second one.
    this.store = Store.open(init.dbPath, { cacheMb: init.cacheMb, synchronous: 'NORMAL' });
    let mirror: JsonlMirror | undefined;
    try {
      // Committed inbox rows first, so recovery sees every acknowledged event as present.
      this.store.events.mergeAll();
      // Opening the mirror cuts a torn last line; recovery then replays what follows the cursor
      // (the lines of groups whose commit may be lost), or all of another file, and moves the
      // cursor to the end.
      mirror = new JsonlMirror(init.jsonlPath);
      const cursor = this.store.events.mirrorCursor();
      this.recovered = replayMirror(this.store, init.jsonlPath, { from: cursor.fileId === mirror.fileId ? cursor.bytes : 0 });
      this.store.events.setMirrorCursor(mirror.size, mirror.fileId);
      for (const id of this.store.events.recentIds(RECENT_IDS).reverse()) this.recent.add(id);
      this.mirror = mirror;
    } catch (err) {
      mirror?.close();
      this.store.close();
      throw err;
    }
  }

  /**
   * Commits batches in one transaction; they are durable once `syncMirrorNow` has completed after it.
   * A storage failure (full disk, read-only directory, I/O error) is STORAGE_UNAVAILABLE with a
   * sentence, and /healthz reports it until a write succeeds again.
   */
  writeAll(batches: readonly WriteBatch[]): WriteResult[] {
    let results: WriteResult[];
    try {
      results = commitBatches(this.store, this.mirror, this.recent, batches, this.rejectedMaxBytes);
    } catch (err) {
      throw this.failed(err, 'store the events');
    }
    this.lastFailure = undefined;
    for (const r of results) this.staged += r.inserted;
    return results;
  }

  /** Remembers a storage failure for /healthz and returns the error to throw (without raw OS text). */
  private failed(err: unknown, doing: string): unknown {
    const mapped = fromStorageError(err, doing);
    if (mapped !== err) {
      console.error(`writer: cannot ${doing}:`, (err as Error).message);
      this.lastFailure = storageCause(err);
    }
    return mapped;
  }

  /**
   * Whether events can be stored now: the database takes a write lock, a probe file can be written to the
   * data directory, and the disk has room. Checked at most once per HEALTH_CACHE_MS while healthy. After a
   * failed write, every call also retries what failed for real (a committed SQLite write and the mirror's
   * fdatasync), so it turns healthy by itself once the cause is gone, and not before.
   */
  health(): WriterHealth {
    const now = Date.now();
    if (this.lastFailure === undefined && this.checked && now - this.checked.at < HEALTH_CACHE_MS) return this.checked.health;
    let health = this.probe();
    if (health.ok && this.lastFailure !== undefined) health = this.retryWrite();
    this.checked = { at: now, health };
    if (health.ok) this.lastFailure = undefined;
    return health;
  }

  private probe(): WriterHealth {
    if (!this.store.canWrite()) return { ok: false, reason: 'the database cannot be written' };
    return probeDataDir(dirname(this.jsonlPath));
  }

  /** A real write on both paths a commit takes: the mirror cursor row committed, the mirror synced. */
  private retryWrite(): WriterHealth {
    try {
      this.store.transaction(() => this.store.events.setMirrorCursor(this.mirror.size, this.mirror.fileId));
      this.mirror.syncNow();
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: storageCause(err) ?? this.lastFailure ?? 'the store cannot be written' };
    }
  }

  /** True when the inbox holds so many events that merging must not wait for a gap in the load. */
  mergeBacklogged(): boolean {
    return this.staged > this.mergeBacklog;
  }

  syncMirrorNow(): void {
    try {
      this.mirror.syncNow();
    } catch (err) {
      throw this.failed(err, 'make the events durable');
    }
  }

  assign(a: Assignment): Assignment {
    return this.store.policy.assignOnce(a);
  }



  /** Merges one chunk of the inbox; true when more is waiting. */
  mergeChunk(): boolean {
    const merged = this.store.events.mergeInbox(MERGE_CHUNK);
    this.staged = Math.max(0, this.staged - merged);
    return merged > 0;
  }

  close(): void {
    try {
      this.mirror.syncNow();
      this.store.events.mergeAll();
    } finally {
      this.mirror.close();
      this.store.close();
    }
  }
}
