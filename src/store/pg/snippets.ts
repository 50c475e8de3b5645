import type { SnippetsApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgSnippets(_pool: PgPool): SnippetsApi {
  return notYetOnPostgres<SnippetsApi>('snippets');
}
