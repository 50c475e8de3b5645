import type { BanditApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgBandit(_pool: PgPool): BanditApi {
  return notYetOnPostgres<BanditApi>('bandit');
}
