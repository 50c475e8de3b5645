import type { StoreApi } from '../api.js';
import { openPgPool, migratePg, type PgPool } from './pool.js';
import { pgEvents } from './events.js';
import { pgPolicy } from './policy.js';
import { pgTelemetry } from './telemetry.js';
import { pgTracks } from './tracks.js';
import { pgSnippets } from './snippets.js';
import { pgModels } from './models.js';
import { pgLabels } from './labels.js';
import { pgBandit } from './bandit.js';
import { pgDashboard } from './dashboard.js';
import type { LeaderFence } from './leader.js';

export interface PgStoreOptions {
  /** The learner's election lock: this store's activations are refused once the node lost it. */
  fence?: LeaderFence;
}

/** The PostgreSQL store: every domain of the interface on one pool. */
export interface PgStore extends StoreApi {
  readonly kind: 'postgres';
  readonly pool: PgPool;
}

/** The store on an open pool (the caller migrated the database). `close` ends the pool. */
export function pgStore(pool: PgPool, location: string, opts: PgStoreOptions = {}): PgStore {
  return {
    kind: 'postgres',
    location,
    pool,
    events: pgEvents(pool),
    policy: pgPolicy(pool),
    telemetry: pgTelemetry(pool),
    tracks: pgTracks(pool),
    snippets: pgSnippets(pool),
    models: pgModels(pool),
    labels: pgLabels(pool),
    bandit: pgBandit(pool, opts.fence),
    dashboard: pgDashboard(pool),
    close: () => pool.end(),
  };
}

/** Opens a pool of `size` for `url`, applies the missing migrations (under the advisory lock), and returns the store. */
export async function openPgStore(url: string, size: number, location: string, opts: PgStoreOptions = {}): Promise<PgStore> {
  const pool = openPgPool(url, size);
  try {
    await migratePg(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return pgStore(pool, location, opts);
}
