import type { Config } from '../shared/config.js';
import { Store } from './index.js';
import type { StoreApi } from './api.js';
import type { OpenOptions } from './sqlite.js';
import { sqliteApi } from './sqlite-api.js';
import { openPgStore, redacted, type PgStoreOptions } from './pg/index.js';

/** What selects and sizes the store: RL_DATABASE_URL (PostgreSQL when set), RL_DB_POOL, else the SQLite file. */
export type StoreTarget = Pick<Config, 'databaseUrl' | 'dbPool'> & { readonly paths: Pick<Config['paths'], 'db'> };

/**
 * The plain-data target a worker thread opens its own store from (it crosses the thread boundary),
 * with its PostgreSQL pool capped at `maxPool` (a thread's sequential reads need few connections).
 */
export function storeTarget(config: StoreTarget, maxPool = config.dbPool): StoreTarget {
  return { databaseUrl: config.databaseUrl, dbPool: Math.min(config.dbPool, maxPool), paths: { db: config.paths.db } };
}

/**
 * The store the config selects: PostgreSQL when RL_DATABASE_URL is set (migrated at start-up, under the
 * advisory lock, so nodes starting together migrate once), else the SQLite file. `sqlite` options apply
 * to SQLite only, `pg` to PostgreSQL only.
 */
export async function openStore(t: StoreTarget, sqlite: OpenOptions = {}, pg: PgStoreOptions = {}): Promise<StoreApi> {
  if (t.databaseUrl) return openPgStore(t.databaseUrl, t.dbPool, redacted(t.databaseUrl), pg);
  return sqliteApi(Store.open(t.paths.db, sqlite), t.paths.db);
}
