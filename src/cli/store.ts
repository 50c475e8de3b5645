import { existsSync } from 'node:fs';
import type { Config } from '../shared/config.js';
import { errors } from '../shared/errors.js';
import { openStore, type StoreApi } from '../store/index.js';
import type { OpenOptions } from '../store/sqlite.js';

/**
 * Runs `fn` on the store the config selects (PostgreSQL with RL_DATABASE_URL, else the SQLite file),
 * closing it after. `mustExist`: a missing SQLite file is the user's mistake (no server ran here yet),
 * not a reason to create an empty store.
 */
export async function withStore<T>(config: Config, fn: (store: StoreApi) => Promise<T>, opts: OpenOptions & { mustExist?: boolean } = {}): Promise<T> {
  const { mustExist, ...sqlite } = opts;
  if (mustExist && !config.databaseUrl && !existsSync(config.paths.db)) throw errors.invalidArgument(`no database at ${config.paths.db}: start the server first (make start)`);
  const store = await openStore(config, sqlite);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
