import type { TracksApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgTracks(_pool: PgPool): TracksApi {
  return notYetOnPostgres<TracksApi>('tracks');
}
