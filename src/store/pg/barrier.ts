import { pgTransaction, type PgPool } from './pool.js';

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
 * belongs to a finished transaction. The lock is held for one index lookup, then released by the COMMIT.
 *
 * What it costs the ingest, bounded: the lock is only asked for when rows beyond the last barrier are
 * visible (an idle poll takes no lock); it waits at most LOCK_WAIT_MS (a waiting SHARE request makes
 * later INSERTs queue behind it); and after a wait timed out (a long writer, or an anti-wraparound
 * vacuum, whose lock conflicts too) this process asks again only after BACKOFF_MS, answering the last
 * barrier meanwhile: the cursor then moves a little later, and nothing is skipped.
 */
const LOCK_WAIT_MS = 100;
const BACKOFF_MS = 1000;

interface BarrierState {
  /** The last barrier this process computed for the pool's database. */
  safe: number;
  /** No lock request before this time (ms) after a timed-out wait. */
  notBefore: number;
}
const state = new WeakMap<PgPool, BarrierState>();

export async function committedMaxEventId(pool: PgPool, now: () => number = Date.now): Promise<number> {
  const s = state.get(pool) ?? { safe: 0, notBefore: 0 };
  state.set(pool, s);
  // Nothing new visible: every id up to the last barrier is committed already.
  const visible = (await pool.query<{ m: number | null }>('SELECT max(id) AS m FROM jump_events')).rows[0]!.m ?? 0;
  if (visible <= s.safe || now() < s.notBefore) return s.safe;
  try {
    const max = await pgTransaction(pool, async (c) => {
      await c.query(`SET LOCAL lock_timeout = '${LOCK_WAIT_MS}ms'`);
      await c.query('LOCK TABLE jump_events IN SHARE MODE');
      return (await c.query<{ m: number | null }>('SELECT max(id) AS m FROM jump_events')).rows[0]!.m ?? 0;
    });
    s.safe = Math.max(s.safe, max);
  } catch (err) {
    // 55P03 lock_not_available: the wait timed out; try again after the back-off.
    if ((err as { code?: string }).code !== '55P03') throw err;
    s.notBefore = now() + BACKOFF_MS;
  }
  return s.safe;
}
