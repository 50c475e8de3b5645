/**
 * The learner thread: owns a read-write connection to the store, runs a LearnerLoop pass whenever
 * poked (a label or a listener signal arrived) or every `tickMs`, and reports its status. Ingest
 * never waits for it: the passes are short IMMEDIATE transactions on its own connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../store/index.js';
import { LearnerLoop } from './loop.js';
import type { FromLearner, LearnerInit, ToLearner } from './messages.js';

const port = parentPort!;
const init = workerData as LearnerInit;
const post = (m: FromLearner) => port.postMessage(m);

let store: Store;
let loop: LearnerLoop;
try {
  store = Store.open(init.dbPath);
  loop = new LearnerLoop(store, { ...init });
  loop.catchUp();
  post({ type: 'ready', status: loop.status() });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
  process.exit(1);
}

let timer: NodeJS.Timeout | null = null;
/** When the scheduled pass runs (ms, Date.now clock). */
let dueAt = Infinity;
let closed = false;
const schedule = (ms: number) => {
  if (closed) return;
  if (timer) clearTimeout(timer);
  dueAt = Date.now() + ms;
  timer = setTimeout(run, ms);
};

/** A poke runs a pass this soon (feedback arriving in a burst shares one pass). */
const POKE_DELAY_MS = 20;

function run(): void {
  timer = null;
  dueAt = Infinity;
  if (closed) return;
  let more = false;
  try {
    more = loop.pass();
    post({ type: 'status', status: loop.status() });
  } catch (err) {
    // A busy store or a bad row must not kill learning: report it and try again on the next tick.
    post({ type: 'error', message: (err as Error).message });
  }
  schedule(more ? 0 : init.tickMs);
}

port.on('message', (m: ToLearner) => {
  if (m.type === 'poke') {
    // Only ever earlier: a steady stream of pokes must not keep pushing the pass away.
    if (timer && dueAt > Date.now() + POKE_DELAY_MS) schedule(POKE_DELAY_MS);
  } else if (m.type === 'close') {
    closed = true;
    if (timer) clearTimeout(timer);
    store.close();
    post({ type: 'closed' });
    port.close();
  }
});

schedule(0);
