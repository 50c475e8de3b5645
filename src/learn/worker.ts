/**
 * The learner thread: owns its own connection to the store (openStore: the SQLite file or a PostgreSQL
 * pool), runs a LearnerLoop pass whenever poked (a label or a listener signal arrived) or every
 * `tickMs`, and reports its status. Ingest never waits for it.
 *
 * On PostgreSQL several nodes run this thread on one database and exactly one learns: the holder of a
 * session-level advisory lock on a connection of its own (PgLeaderLock). The others ask for the lock
 * every `electionMs` and take over when the holder dies (its connection closes, the lock is released):
 * the new leader catches up on the whole reward log (without publishing: those versions exist) and
 * learns from there. Meanwhile they serve the versions the leader promotes from the store
 * (src/ingest/active-model.ts). On SQLite the one server is the learner.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreApi } from '../store/index.js';
import { LEARNER_LOCK, PgLeaderLock } from '../store/pg/leader.js';
import { LearnerLoop } from './loop.js';
import type { FromLearner, LearnerInit, LearnerStatus, ToLearner } from './messages.js';

const port = parentPort!;
const init = workerData as LearnerInit;
const post = (m: FromLearner) => port.postMessage(m);

let store: StoreApi;
let loop: LearnerLoop | null = null;
const lock = init.store.databaseUrl ? new PgLeaderLock(init.store.databaseUrl, LEARNER_LOCK, `harmonizer-learner ${process.pid}`) : null;

/** What a node that does not learn reports: the shared store's versions. */
async function followerStatus(): Promise<LearnerStatus> {
  const b = store.bandit;
  return {
    role: 'follower',
    active: (await b.activePolicy())?.version ?? null,
    candidate: (await b.latestCandidate())?.version ?? null,
    last_verdict: null,
    applied: 0,
    last_seq: 0,
    published: 0,
    rewards: { jump: 0, dwell: 0 },
    pending: await b.pendingCount(),
    last_pass_ms: 0,
    updated_at: Date.now(),
  };
}

const status = () => (loop ? loop.status() : followerStatus());

/** Becomes the learner when this node holds (or takes) the lock; stops learning when it lost it. */
async function elect(): Promise<void> {
  const leader = lock ? await lock.tryAcquire() : true;
  if (leader && !loop) {
    const l = new LearnerLoop(store, { ...init });
    await l.catchUp();
    loop = l;
  } else if (!leader) loop = null;
}

try {
  // Activations check the election lock in their own transaction: a leader that lost it cannot promote.
  store = await openStore(init.store, {}, lock ? { fence: lock } : {});
  await elect();
  post({ type: 'ready', status: await status() });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
  process.exit(1);
}

let timer: NodeJS.Timeout | null = null;
/** When the scheduled pass runs (ms, Date.now clock). */
let dueAt = Infinity;
let closed = false;
let running: Promise<void> | null = null;
let lastElection = Date.now();
const schedule = (ms: number) => {
  if (closed) return;
  if (timer) clearTimeout(timer);
  dueAt = Date.now() + ms;
  timer = setTimeout(() => void (running = run().finally(() => (running = null))), ms);
};

/** A poke runs a pass this soon (feedback arriving in a burst shares one pass). */
const POKE_DELAY_MS = 20;

async function run(): Promise<void> {
  timer = null;
  dueAt = Infinity;
  if (closed) return;
  let more = false;
  try {
    // A follower asks for the lock every electionMs; a leader checks it still holds it as often.
    if (lock && (loop === null || Date.now() - lastElection >= init.electionMs)) {
      lastElection = Date.now();
      await elect();
    }
    if (loop) more = await loop.pass();
    if (!closed) post({ type: 'status', status: await status() });
  } catch (err) {
    // A busy store or a bad row must not kill learning: report it and try again on the next tick.
    if (!closed) post({ type: 'error', message: (err as Error).message });
  }
  schedule(more ? 0 : loop ? init.tickMs : init.electionMs);
}

port.on('message', (m: ToLearner) => {
  if (m.type === 'poke') {
    // Only ever earlier: a steady stream of pokes must not keep pushing the pass away (a follower has nothing to do).
    if (loop && timer && dueAt > Date.now() + POKE_DELAY_MS) schedule(POKE_DELAY_MS);
  } else if (m.type === 'close') {
    closed = true;
    if (timer) clearTimeout(timer);
    // The pass in flight finishes on the store before it closes.
    void (async () => {
      await running?.catch(() => {});
      await lock?.close();
      await store.close();
      post({ type: 'closed' });
      port.close();
    })();
  }
});

schedule(0);
