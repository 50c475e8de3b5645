import { Store, type Assignment } from '../store/index.js';
import { JsonlMirror } from './jsonl.js';
import { replayMirror, type ReplayResult } from './recovery.js';
import { commitBatches, MERGE_BACKLOG, MERGE_CHUNK, RECENT_IDS } from './commit.js';
import { RecentIds } from './recent-ids.js';
import type { WriteBatch, WriteResult, WriterInit } from './messages.js';

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

  constructor(init: WriterInit) {
    this.mergeBacklog = init.mergeBacklog ?? MERGE_BACKLOG;
    this.rejectedMaxBytes = init.rejectedMaxBytes;
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

  /** Commits batches in one transaction; they are durable once `syncMirrorNow` has completed after it. */
  writeAll(batches: readonly WriteBatch[]): WriteResult[] {
    const results = commitBatches(this.store, this.mirror, this.recent, batches, this.rejectedMaxBytes);
    for (const r of results) this.staged += r.inserted;
    return results;
  }

  /** True when the inbox holds so many events that merging must not wait for a gap in the load. */
  mergeBacklogged(): boolean {
    return this.staged > this.mergeBacklog;
  }


  syncMirrorNow(): void {
    this.mirror.syncNow();
  }

  assign(a: Assignment): Assignment {
    return this.store.policy.assignOnce(a);
  }

  healthy(): boolean {
    return this.store.canWrite();
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
