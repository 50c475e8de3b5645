/**
 * The PostgreSQL store for deployments beyond one machine (issue 15), in progress: its schema and
 * migrations, the connection pool, `db copy` from a SQLite store, and the ingest's statements (used by
 * src/ingest/pg-backend.ts). The server itself still runs on SQLite only (it refuses RL_DATABASE_URL
 * rather than ignore it).
 */
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, COPY_TABLES, type PgMigration, type CopyTable } from './schema.js';
export { openPgPool, pgTransaction, migratePg, pgStatus, redacted, type PgPool, type PgClient, type MigrateResult, type PgStatus } from './pool.js';
export { copySqliteToPg, type CopyResult, type TableCopy } from './copy.js';
export { insertEvents, insertEventLines, insertSignals, insertRejected, mirrorCursor, setMirrorCursor, touchMirrorCursor, assignOnce } from './ingest.js';
export { pgStore, openPgStore, type PgStore } from './store.js';
