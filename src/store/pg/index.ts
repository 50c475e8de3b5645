/**
 * The PostgreSQL store for deployments beyond one machine: every domain of StoreApi on a pool
 * (store.ts composes them), the schema and its migrations under an advisory lock, the ingest's
 * statements (used by src/ingest/pg-backend.ts), the committed-id barrier for cursors over jump_events,
 * the learner's election lock, and `db copy` from a SQLite store.
 */
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, COPY_TABLES, type PgMigration, type CopyTable } from './schema.js';
export { openPgPool, pgTransaction, migratePg, pgStatus, redacted, type PgPool, type PgClient, type MigrateResult, type PgStatus } from './pool.js';
export { copySqliteToPg, type CopyResult, type TableCopy } from './copy.js';
export { insertEvents, insertEventLines, insertSignals, insertRejected, mirrorCursor, setMirrorCursor, touchMirrorCursor, assignOnce } from './ingest.js';
export { pgStore, openPgStore, type PgStore, type PgStoreOptions } from './store.js';
export { PgLeaderLock, LEARNER_LOCK, checkFence, type LeaderFence } from './leader.js';
