/**
 * The dashboard thread: its own read-only connection to the store (a small pool on PostgreSQL), the
 * one-minute snapshots and the off-policy panel. A snapshot of 7 days or of all time scans up to every
 * event (seconds on a million), which must not stall the server's event loop that answers beacons.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/index.js';
import type { DashboardInit, FromDashboard, ToDashboard } from './messages.js';
import { cachedOpePanel } from './ope.js';
import { buildSummary, SummaryCache } from './summary.js';

const port = parentPort!;
const init = workerData as DashboardInit;
const post = (m: FromDashboard) => port.postMessage(m);
// Opened once; a request that comes first waits for it (and gets the opening's error if it failed).
const opened = openStore(init.store, { readonly: true });
opened.catch(() => {});
const cache = new SummaryCache(60_000);
let clock = Date.now();
const ope = opened.then((api) => cachedOpePanel(api, 60_000, () => clock));
ope.catch(() => {});

port.on('message', async (m: ToDashboard) => {
  if (m.type === 'close') {
    await opened.then((s) => s.close(), () => {});
    post({ type: 'closed' });
    port.close();
    return;
  }
  try {
    clock = m.now;
    if (m.type === 'summary') post({ type: 'summary', id: m.id, summary: await buildSummary(await opened, m.range, m.probes, m.now, cache) });
    else post({ type: 'ope', id: m.id, panel: await (await ope)() });
  } catch (err) {
    post({ type: 'error', id: m.id, message: (err as Error).message });
  }
});
