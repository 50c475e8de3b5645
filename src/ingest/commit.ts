import type { Store } from '../store/index.js';
import type { JsonlMirror } from './jsonl.js';
import type { WriteBatch, WriteResult } from './messages.js';

/**
 * One group commit: insert the batch, append the new events to the JSONL mirror (fdatasync'ed),
 * then commit, in one synchronous transaction. The mirror write happens before COMMIT, so a crash
 * at any point leaves every committed event in the file; events that were mirrored but never
 * committed were never acknowledged and come back through recovery.
 */
export function commitBatch(store: Store, mirror: JsonlMirror, batch: WriteBatch): WriteResult {
  const t0 = performance.now();
  const inserted = store.transaction(() => {
    const lines: string[] = [];
    for (const e of batch.events) if (store.events.insert(e)) lines.push(JSON.stringify(e));
    for (const r of batch.rejected) store.events.insertRejected(r);
    mirror.append(lines);
    return lines.length;
  });
  return { inserted, duplicates: batch.events.length - inserted, commitMs: performance.now() - t0 };
}
