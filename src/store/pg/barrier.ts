import type { PgPool } from './pool.js';

/**
 * The highest jump_events id below which every row is committed: a cursor over jump_events.id may move
 * up to it and never skip a row.
 *
 * Why this is needed: ids come from a sequence when a row is inserted, but transactions commit in any
 * order. With two ingest nodes, node A can take id 100, node B id 101 and commit first; a reader that
 * saw 101 and moved its cursor past it would never see 100 when A commits. SQLite has one writer, so
 * there it cannot happen.
 *
 * How: `LOCK TABLE … IN SHARE MODE` conflicts with the ROW EXCLUSIVE lock every INSERT holds until its
 * transaction ends, so it waits for the inserts in flight to commit (or roll back) and holds new ones
 * back; an INSERT takes its ids only after it has its lock, so every id at or below the max read here
 * belongs to a finished transaction. The lock is held for one index lookup (the ingest waits that
 * long, once per call), then released by the COMMIT.
 */
export async function committedMaxEventId(pool: PgPool): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    try {
      // lock_timeout: a stuck writer makes the caller try again later rather than wait behind it.
      await c.query("SET LOCAL lock_timeout = '5s'");
      await c.query('LOCK TABLE jump_events IN SHARE MODE');
      const r = await c.query<{ m: number | null }>('SELECT max(id) AS m FROM jump_events');
      await c.query('COMMIT');
      return r.rows[0]!.m ?? 0;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    c.release();
  }
}
