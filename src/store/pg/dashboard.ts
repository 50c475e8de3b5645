import type { DashboardApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgDashboard(_pool: PgPool): DashboardApi {
  return notYetOnPostgres<DashboardApi>('dashboard');
}
