import type { ModelsApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgModels(_pool: PgPool): ModelsApi {
  return notYetOnPostgres<ModelsApi>('models');
}
