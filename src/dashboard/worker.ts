/**
 * The dashboard thread: its own read-only connection to the store, the one-minute snapshots and the
 * off-policy panel. A snapshot of 7 days or of all time scans up to every event (seconds on a million),
 * which must not stall the server's event loop that answers beacons.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Store, sqliteApi } from '../store/index.js';
import type { DashboardInit, FromDashboard, ToDashboard } from './messages.js';
import { cachedOpePanel } from './ope.js';
import { buildSummary, SummaryCache } from './summary.js';

const port = parentPort!;
const init = workerData as DashboardInit;
const post = (m: FromDashboard) => port.postMessage(m);
const store = Store.open(init.dbPath, { readonly: true });
const api = sqliteApi(store, init.dbPath);
const cache = new SummaryCache(60_000);
let clock = Date.now();
const ope = cachedOpePanel(api, 60_000, () => clock);

port.on('message', async (m: ToDashboard) => {
  if (m.type === 'close') {
    store.close();
    post({ type: 'closed' });
    port.close();
    return;
  }
  try {
    clock = m.now;
    if (m.type === 'summary') post({ type: 'summary', id: m.id, summary: await buildSummary(api, m.range, m.probes, m.now, cache) });
    else post({ type: 'ope', id: m.id, panel: await ope() });
  } catch (err) {
    post({ type: 'error', id: m.id, message: (err as Error).message });
  }
});
