import type { Store } from '../store/index.js';
import type { JsonlMirror } from './jsonl.js';
import type { EventLines, WriteBatch, WriteResult } from './messages.js';
import type { RecentIds } from './recent-ids.js';

/** RL_REJECTED_MAX_MB's default, for callers that do not pass one. */
export const DEFAULT_REJECTED_MAX_BYTES = 64 * 1024 * 1024;

/**
 * One group commit of one or more batches: stage their events in the ingest inbox, write them to the JSONL mirror,
 * then commit, in one synchronous transaction. The caller acknowledges the batches only after the
 * mirror has been fdatasync'ed (`JsonlMirror.syncNow`).
 * The mirror write happens before COMMIT, so every committed event is in the file (in the page
 * cache at once, on disk by the ack); events mirrored but never committed were never acknowledged
 * and come back through recovery. Ids seen recently are skipped (counted as duplicates); older
 * duplicates are dropped by the merge.
 */
export function commitBatches(
  store: Store,
  mirror: JsonlMirror,
  recent: RecentIds,
  batches: readonly WriteBatch[],
  rejectedMaxBytes: number = DEFAULT_REJECTED_MAX_BYTES,
): WriteResult[] {
  const t0 = performance.now();
  // Ids staged by this transaction: a later batch of the same group (or the same batch) may repeat them.
  const staged = new Set<string>();
  const fresh = batches.map((b) => (b.events ? withoutDuplicates(b.events, recent, staged) : null));
  let rejectedDropped = 0;
  try {
    store.transaction(() => {
      let letters = 0;
      for (let i = 0; i < batches.length; i++) {
        const events = fresh[i];
        if (events && events.ids.length > 0) {
          store.events.stageBatch(events.text, events.ids.length, events.receivedAt);
          mirror.write(events.text);
        }
        for (const r of batches[i]!.rejected) store.events.insertRejected(r);
        letters += batches[i]!.rejected.length;
        for (const sig of batches[i]!.signals) store.events.insertSignal(sig);
      }
      // The dead letters stay under their cap: the oldest go first, in the same transaction.
      if (letters > 0) rejectedDropped = store.events.trimRejected(rejectedMaxBytes);
      // With the lines they cover: if this commit is lost, recovery replays from the previous cursor.
      store.events.setMirrorCursor(mirror.size, mirror.fileId);
    });
  } catch (err) {
    // Rolled back: the dead letters' running total counted inserts and deletes that did not happen.
    store.events.forgetRejectedTotal();
    throw err;
  }
  // Only once committed: a rolled-back batch must not make its ids look stored.
  for (const id of staged) recent.add(id);
  const commitMs = performance.now() - t0;
  return batches.map((b, i) => {
    const inserted = fresh[i]?.ids.length ?? 0;
    return { inserted, duplicates: (b.events?.ids.length ?? 0) - inserted, rejected: b.rejected.reduce((n, r) => n + (r.items ?? 1), 0), commitMs, ...(i === 0 ? { rejectedDropped } : {}) };
  });
}

/**
 * The batch without the events whose ids were stored recently or are staged already (usually all
 * of it, unchanged); adds the ids it keeps to `staged`.
 */
function withoutDuplicates(events: EventLines, recent: RecentIds, staged: Set<string>): EventLines {
  let keep: boolean[] | null = null;
  for (let i = 0; i < events.ids.length; i++) {
    const id = events.ids[i]!;
    if (recent.has(id) || staged.has(id)) (keep ??= events.ids.map(() => true))[i] = false;
    else staged.add(id);
  }
  if (!keep) return events;
  // Rare path: rebuild the batch from the lines it keeps.
  const lines = events.text.split('\n');
  const ids: string[] = [];
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!keep[i]) continue;
    ids.push(events.ids[i]!);
    kept.push(lines[i]!);
  }
  return { ids, text: kept.join('\n'), receivedAt: events.receivedAt };
}

/** Inbox events merged into jump_events per transaction: large enough to amortize index pages, short enough not to stall commits. */
export const MERGE_CHUNK = 10_000;
/**
 * Inbox events above which the writer merges between commits instead of waiting for a gap in the
 * beacon stream: under sustained load the inbox stays bounded, and ingest slows to the merge rate.
 */
export const MERGE_BACKLOG = 1_000_000;
/** How many recent ids the writer remembers for cheap duplicate detection. */
export const RECENT_IDS = 200_000;
