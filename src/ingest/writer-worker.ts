import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { fromStorageError, isHarmonizerError } from '../shared/errors.js';
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

/**
 * An error crosses to the HTTP thread as code, sentence and headers (Retry-After): storage failures as
 * STORAGE_UNAVAILABLE, anything else unexpected as STORE_UNAVAILABLE without its raw text (logged here).
 */
const fail = (id: number, raw: unknown) => {
  const err = fromStorageError(raw, 'store the events');
  if (isHarmonizerError(err)) {
    post({ type: 'error', id, code: err.code, message: err.message, ...(err.headers ? { headers: err.headers } : {}) });
    return;
  }
  console.error('writer: unexpected error:', raw);
  post({ type: 'error', id, code: 'STORE_UNAVAILABLE', message: 'the store writer failed; retry later', headers: { 'Retry-After': '5' } });
};

/**
 * Every write waiting in the port is committed in one transaction: the writer takes whatever the
 * HTTP thread sent while it was busy, so the group grows with the load without the HTTP thread
 * having to wait for the writer before sending more.
 */
port.on('message', (first: ToWriter) => {
  const messages = [first];
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) messages.push(m.message as ToWriter);
  const writes = messages.filter((m): m is Extract<ToWriter, { type: 'write' }> => m.type === 'write');
  if (writes.length > 0) commitGroup(writes);
  for (const m of messages) {
    if (m.type === 'write') continue;
    try {
      handle(m);
    } catch (err) {
      fail(m.id, err);
    }
  }
});

function commitGroup(writes: Extract<ToWriter, { type: 'write' }>[]): void {
  let results: WriteResult[];
  try {
    results = core.writeAll(writes.map((w) => w.batch));
  } catch (err) {
    for (const w of writes) fail(w.id, err);
    return;
  }
  try {
    // On this thread, blocking: the batches that arrive meanwhile wait in the port and form the
    // next group. Measured against an fdatasync on the thread pool that let the next group commit
    // meanwhile: 5-10 % more throughput, from one thread hop less per group.
    core.syncMirrorNow();
    post({ type: 'written', ids: writes.map((w) => w.id), results });
  } catch (err) {
    // Not acknowledged: the events are stored but not yet durable in the mirror; the client retries and
    // the retry is a duplicate.
    for (const w of writes) fail(w.id, err);
  }
  // Merges run in the gaps of the beacon stream, or now when the inbox has grown too large.
  scheduleMerge(core.mergeBacklogged() ? 0 : MERGE_IDLE_MS);
}

function handle(m: Exclude<ToWriter, { type: 'write' }>): void {
  switch (m.type) {
    case 'assign':
      post({ type: 'assigned', id: m.id, assignment: core.assign(m.assignment) });
      break;
    case 'health':
      post({ type: 'health', id: m.id, health: core.health() });
      break;
    case 'close':
      closed = true;
      if (mergeTimer) clearTimeout(mergeTimer);
      core.close();
      post({ type: 'closed', id: m.id });
      port.close();
      break;
  }
}
