import type { Store } from '../store/index.js';
import type { JsonlMirror } from './jsonl.js';
import type { WriteBatch, WriteResult } from './messages.js';
import type { RecentIds } from './recent-ids.js';

/**
 * One group commit: stage the batch in the ingest inbox, write the new events to the JSONL mirror,
 * then commit, in one synchronous transaction. The caller acknowledges the batch only after the
 * mirror has been fdatasync'ed (`JsonlMirror.sync`), which may cover several commits at once.
 * The mirror write happens before COMMIT, so every committed event is in the file (in the page
 * cache at once, on disk by the ack); events mirrored but never committed were never acknowledged
 * and come back through recovery. Ids seen recently are skipped (counted as duplicates); older
 * duplicates are dropped by the merge.
 */
export function commitBatch(store: Store, mirror: JsonlMirror, recent: RecentIds, batch: WriteBatch): WriteResult {
  const t0 = performance.now();
  const inserted = store.transaction(() => {
    const lines: string[] = [];
    for (const e of batch.events) {
      if (recent.has(e.event_id)) continue;
      store.events.stage(e);
      lines.push(e.line);
    }
    for (const r of batch.rejected) store.events.insertRejected(r);
    for (const sig of batch.signals) store.events.insertSignal(sig);
    mirror.write(lines);
    return lines.length;
  });
  // Only once committed: a rolled-back batch must not make its ids look stored.
  for (const e of batch.events) recent.add(e.event_id);
  return { inserted, duplicates: batch.events.length - inserted, commitMs: performance.now() - t0 };
}

/** Inbox rows merged into jump_events per transaction: large enough to amortize index pages, short enough not to stall commits. */
export const MERGE_CHUNK = 10_000;
/** How many recent ids the writer remembers for cheap duplicate detection. */
export const RECENT_IDS = 200_000;
