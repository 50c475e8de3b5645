import pg from 'pg';
import { HarmonizerError } from '../../shared/errors.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';

// BIGINT (int8) and NUMERIC arrive as strings by default; every BIGINT here is a count, an id or a
// millisecond time, far inside 2^53, so they are read as numbers (the SQLite store returns numbers too).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type PgPool = pg.Pool;

/** The URL with its password hidden, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
export type PgClient = pg.PoolClient;

/**
 * Every connection's liveness settings: TCP keepalive from 10 s of silence, so a connection left
 * half-open by a failover is noticed instead of hanging its query for the kernel's retransmission
 * timeout; and a bounded wait for a connection (a node that cannot reach the database says so).
 */
export const CONNECTION_OPTIONS = { keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 15_000 } as const;

/**
 * A node's transactions are short and never wait on anything but their own statements; one idle in a
 * transaction this long belongs to a process that froze (SIGSTOP, a paused VM, a hung event loop) while
 * holding row or table locks (the barrier's SHARE lock on jump_events would stop every node's ingest).
 * PostgreSQL ends such a session, which releases its locks; the frozen process's transaction fails.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;

export interface PgPoolOptions {
  /** idle_in_transaction_session_timeout of every connection, ms (0: none). Default IDLE_IN_TRANSACTION_MS. */
  idleInTransactionMs?: number;
}

/** A connection pool for RL_DATABASE_URL, sized by RL_DB_POOL. Errors of idle clients are logged, not thrown. */
export function openPgPool(url: string, size: number, opts: PgPoolOptions = {}): PgPool {
  const idle = opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    application_name: 'harmonizer',
    ...CONNECTION_OPTIONS,
    ...(idle > 0 ? { idle_in_transaction_session_timeout: idle } : {}),
  });
  pool.on('error', (err) => console.error('postgres: idle connection failed:', err.message));
  return pool;
}

/** Runs `fn` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function pgTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  // A checked-out client has no error listener of the pool's: a connection dropped mid-transaction
  // (server restart, failover) would be an uncaught 'error' event. The query in flight rejects anyway.
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  c.on('error', onError);
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (err) {
    if (!lost) await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.off('error', onError);
    // A broken connection is destroyed, not returned to the pool.
    c.release(lost);
  }
}

/**
 * The advisory lock every migrating node takes (an arbitrary constant: "harmonizer" in hex). Held for
 * the transaction that applies the migrations, so nodes starting at once migrate one after the other:
 * the first applies, the others find nothing left to do.
 */
const MIGRATION_LOCK = 0x6861726d6f6e;

export interface MigrateResult {
  /** Versions this call applied (empty: the database was up to date). */
  applied: number[];
  version: number;
}

/** Applies the missing migrations in one transaction under the advisory lock (DDL is transactional here). */
export async function migratePg(pool: PgPool): Promise<MigrateResult> {
  return pgTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const current = await currentVersion(c);
    if (current > PG_SCHEMA_VERSION) {
      throw new HarmonizerError('INVALID_CONFIG', `the database is at schema version ${current}, newer than this harmonizer (${PG_SCHEMA_VERSION}): upgrade harmonizer`);
    }
    const applied: number[] = [];
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return { applied, version: Math.max(current, ...applied) };
  });
}

async function currentVersion(c: PgClient | PgPool): Promise<number> {
  const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

export interface PgStatus {
  version: number;
  latest: number;
  pending: number[];
  applied: { version: number; name: string; applied_at: string }[];
}

/** Where the database's schema stands (without changing it). */
export async function pgStatus(pool: PgPool): Promise<PgStatus> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  const applied = exists.rows[0]?.t
    ? (await pool.query<{ version: number; name: string; applied_at: Date }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows
    : [];
  const version = applied.length === 0 ? 0 : applied[applied.length - 1]!.version;
  return {
    version,
    latest: PG_SCHEMA_VERSION,
    pending: PG_MIGRATIONS.filter((m) => m.version > version).map((m) => m.version),
    applied: applied.map((a) => ({ version: a.version, name: a.name, applied_at: a.applied_at.toISOString() })),
  };
}
