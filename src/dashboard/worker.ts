/**
 * The dashboard thread: its own read-only connection to the store (a small pool on PostgreSQL), the
 * one-minute snapshots and the off-policy panel. A snapshot of 7 days or of all time scans up to every
 * event (seconds on a million), which must not stall the server's event loop that answers beacons.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreApi } from '../store/index.js';
import type { DashboardInit, FromDashboard, ToDashboard } from './messages.js';
import { cachedOpePanel, type OpePanel } from './ope.js';
import { buildSummary, SummaryCache } from './summary.js';

const port = parentPort!;
const init = workerData as DashboardInit;
const post = (m: FromDashboard) => port.postMessage(m);
const open = () => {
  const p = openStore(init.store, { readonly: true });
  p.catch(() => {});
  return p;
};
// Opened once; a request that comes first waits for it. If the open failed (the database was down when
// the server started), the next request opens it again rather than report that failure forever.
let opened = open();
const store = (): Promise<StoreApi> => opened.catch(() => (opened = open()));
const cache = new SummaryCache(60_000);
let clock = Date.now();
let ope: { api: StoreApi; panel: () => Promise<OpePanel> } | null = null;
const opePanel = async (): Promise<OpePanel> => {
  const api = await store();
  if (ope?.api !== api) ope = { api, panel: cachedOpePanel(api, 60_000, () => clock) };
  return ope.panel();
};

port.on('message', async (m: ToDashboard) => {
  if (m.type === 'close') {
    await opened.then((s) => s.close(), () => {});
    post({ type: 'closed' });
    port.close();
    return;
  }
  try {
    clock = m.now;
    if (m.type === 'summary') post({ type: 'summary', id: m.id, summary: await buildSummary(await store(), m.range, m.probes, m.now, cache) });
    else post({ type: 'ope', id: m.id, panel: await opePanel() });
  } catch (err) {
    post({ type: 'error', id: m.id, message: (err as Error).message });
  }
});
