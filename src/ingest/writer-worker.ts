import { parentPort, workerData } from 'node:worker_threads';
import { isHarmonizerError } from '../shared/errors.js';
import { WriterCore } from './writer-core.js';
import type { FromWriter, ToWriter, WriteResult, WriterInit } from './messages.js';

/**
 * The single SQLite writer of the ingest server, on its own thread so that fsyncs never stall the
 * event loop that answers beacons. Between commits it merges the ingest inbox into jump_events in
 * chunks, yielding to the message queue after each chunk so commits keep their latency.
 */
const port = parentPort!;
const post = (m: FromWriter) => port.postMessage(m);

/** Wait after the last commit before merging: merges run in the gaps of the beacon stream. */
const MERGE_IDLE_MS = 25;

let core: WriterCore;
try {
  core = new WriterCore(workerData as WriterInit);
  post({ type: 'ready', recovered: core.recovered });
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message });
  process.exit(1);
}

/**
 * Group fsync: committed batches wait for the next fdatasync of the mirror; one runs at a time on
 * the thread pool and covers every batch written before it started. Meanwhile this thread goes on
 * committing, so the fsync latency is paid once per group, not once per batch.
 */
let syncing = false;
let unsynced: { id: number; result: WriteResult }[] = [];
const syncMirror = () => {
  if (syncing || unsynced.length === 0) return;
  syncing = true;
  const covered = unsynced;
  unsynced = [];
  core.syncMirror((err) => {
    syncing = false;
    for (const w of covered) {
      if (err) post({ type: 'error', id: w.id, code: 'STORE_UNAVAILABLE', message: `cannot sync the JSONL mirror: ${err.message}` });
      else post({ type: 'written', id: w.id, result: w.result });
    }
    syncMirror();
  });
};

let mergeTimer: NodeJS.Timeout | null = null;
let closed = false;
const scheduleMerge = (delay: number) => {
  if (mergeTimer) clearTimeout(mergeTimer);
  mergeTimer = setTimeout(() => {
    mergeTimer = null;
    if (closed) return;
    try {
      if (core.mergeChunk()) scheduleMerge(0);
    } catch (err) {
      console.error('inbox merge failed (will retry):', (err as Error).message);
      scheduleMerge(1000);
    }
  }, delay);
};

port.on('message', (m: ToWriter) => {
  try {
    switch (m.type) {
      case 'write':
        unsynced.push({ id: m.id, result: core.write(m.batch) });
        syncMirror();
        scheduleMerge(MERGE_IDLE_MS);
        break;
      case 'assign':
        post({ type: 'assigned', id: m.id, assignment: core.assign(m.assignment) });
        break;
      case 'health':
        post({ type: 'health', id: m.id, ok: core.healthy() });
        break;
      case 'close':
        closed = true;
        if (mergeTimer) clearTimeout(mergeTimer);
        core.close(); // fdatasyncs the mirror first
        for (const w of unsynced) post({ type: 'written', id: w.id, result: w.result });
        unsynced = [];
        post({ type: 'closed', id: m.id });
        port.close();
        break;
    }
  } catch (err) {
    post({
      type: 'error',
      id: m.id,
      code: isHarmonizerError(err) ? err.code : 'STORE_UNAVAILABLE',
      message: (err as Error).message,
    });
  }
});
