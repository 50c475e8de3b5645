/**
 * The telemetry dashboard: GET /rl/dashboard (a static page with its bundled script and uPlot), and
 * its API under /api/rl/dashboard/, protected by the operator's token (RL_DASHBOARD_TOKEN, by default
 * the labeler's), same-origin only (no CORS headers). The summary and the off-policy panel are
 * computed on the dashboard's own thread (service.ts), so a long scan never stalls ingest.
 */
import { publicDir } from '../shared/paths.js';
import { builtAsset } from '../http/assets.js';
import { json, type Route } from '../http/types.js';
import { requireToken } from '../labeler/auth.js';
import { renderedClip } from '../labeler/index.js';
import type { StoreApi } from '../store/index.js';
import { DASHBOARD_PAGE, DASHBOARD_PAGE_HEADERS } from './page.js';
import { DashboardService } from './service.js';
import { parseRange, probeValues, type HealthProbes } from './summary.js';

export { buildSummary, parseRange, probeValues, srmLevel, bucketFor, chartOf, SummaryCache, type DashboardSummary, type HealthProbes, type ProbeValues } from './summary.js';
export { DashboardService } from './service.js';
export { computeOpePanel, histogram, type OpePanel } from './ope.js';

export interface DashboardDeps {
  /** The dashboard's thread (its own read-only store connection). */
  service: DashboardService;
  /** The server's read-only store and snippets folder, for the worst jumps' clips. */
  store: StoreApi;
  snippetsDir: string;
  token: string;
  probes: HealthProbes;
  now?: () => number;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

export function dashboardRoutes(deps: DashboardDeps): Route[] {
  const now = deps.now ?? Date.now;
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
          handler: async (req) => {
            const range = parseRange(req.query.get('range'));
            return json(200, await deps.service.summary(range, await probeValues(deps.probes), now()), NO_STORE);
          },
        },
        { method: 'GET', pattern: '/api/rl/dashboard/ope', handler: async () => json(200, await deps.service.ope(now()), NO_STORE) },
        { method: 'GET', pattern: '/api/rl/dashboard/audio/:id', handler: (req) => renderedClip(deps.store, deps.snippetsDir, req) },
      ] satisfies Route[]
    ).map(guarded),
  ];
}
