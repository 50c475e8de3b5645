import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../store/index.js';
import { isHarmonizerError } from '../shared/errors.js';
import { JsonlMirror } from './jsonl.js';
import { replayMirror } from './recovery.js';
import { commitBatch } from './commit.js';
import type { FromWriter, ToWriter, WriterInit } from './messages.js';

/**
 * The single SQLite writer of the ingest server, on its own thread so that fsyncs never stall the
 * event loop that answers beacons. It recovers the mirror into SQLite before reporting ready.
 */
const port = parentPort!;
const init = workerData as WriterInit;
const post = (m: FromWriter) => port.postMessage(m);

let store: Store;
let mirror: JsonlMirror;
try {
  store = Store.open(init.dbPath, { cacheMb: init.cacheMb });
  const recovered = replayMirror(store, init.jsonlPath);
  mirror = new JsonlMirror(init.jsonlPath);
  post({ type: 'ready', recovered });
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message });
  process.exit(1);
}

port.on('message', (m: ToWriter) => {
  try {
    switch (m.type) {
      case 'write':
        post({ type: 'written', id: m.id, result: commitBatch(store, mirror, m.batch) });
        break;
      case 'assign':
        post({ type: 'assigned', id: m.id, assignment: store.policy.assignOnce(m.assignment) });
        break;
      case 'health':
        post({ type: 'health', id: m.id, ok: store.canWrite() });
        break;
      case 'close':
        mirror.close();
        store.close();
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
