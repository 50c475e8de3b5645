import type { LabelsApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgLabels(_pool: PgPool): LabelsApi {
  return notYetOnPostgres<LabelsApi>('labels');
}
