/**
 * The telemetry dashboard: GET /rl/dashboard (a static page with its bundled script and uPlot), and
 * its API under /api/rl/dashboard/, protected by the operator's token (RL_DASHBOARD_TOKEN, by default
 * the labeler's), same-origin only (no CORS headers). Series are bucketed SQL on each refresh; the
 * off-policy table is recomputed at most once a minute.
 */
import { publicDir } from '../shared/paths.js';
import { builtAsset } from '../http/assets.js';
import type { HttpResponse, Route } from '../http/types.js';
import { requireToken } from '../labeler/auth.js';
import type { Store } from '../store/index.js';
import { cachedOpePanel } from './ope.js';
import { DASHBOARD_PAGE, DASHBOARD_PAGE_HEADERS } from './page.js';
import { buildSummary, parseRange, SummaryCache, type HealthProbes } from './summary.js';

export { buildSummary, parseRange, srmLevel, bucketFor, chartOf, type DashboardSummary, type HealthProbes } from './summary.js';
export { computeOpePanel, histogram, type OpePanel } from './ope.js';

export interface DashboardDeps {
  store: Store;
  token: string;
  probes: HealthProbes;
  now?: () => number;
}

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  body: JSON.stringify(body),
});

export function dashboardRoutes(deps: DashboardDeps): Route[] {
  const now = deps.now ?? Date.now;
  const ope = cachedOpePanel(deps.store, 60_000, now);
  const cache = new SummaryCache(60_000);
  const asset = (file: string, type: string) => builtAsset(publicDir, file, type);
  const guarded = (r: Route): Route => ({ ...r, handler: requireToken(deps.token, r.handler) });
  return [
    { method: 'GET', pattern: '/rl/dashboard', handler: () => ({ status: 200, headers: { ...DASHBOARD_PAGE_HEADERS }, body: DASHBOARD_PAGE }) },
    { method: 'GET', pattern: '/rl/dashboard/app.js', handler: asset('dashboard.js', 'text/javascript; charset=utf-8') },
    { method: 'GET', pattern: '/rl/dashboard/app.css', handler: asset('dashboard.css', 'text/css; charset=utf-8') },
    ...(
      [
        {
          method: 'GET',
          pattern: '/api/rl/dashboard/summary',
          handler: async (req) => json(200, await buildSummary(deps.store, parseRange(req.query.get('range')), deps.probes, now(), cache)),
        },
        { method: 'GET', pattern: '/api/rl/dashboard/ope', handler: () => json(200, ope()) },
      ] satisfies Route[]
    ).map(guarded),
  ];
}
