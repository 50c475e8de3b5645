import type { SnippetsApi } from '../api.js';
import { MAX_RENDER_ATTEMPTS, type RecordedState, type RenderedMeta, type RenderJob, type RenderOutcome, type SnippetRow, type SnippetState } from '../snippets.js';
import { unitHash } from '../../shared/hash.js';
import { committedMaxEventId } from './barrier.js';
import { pgTransaction, type PgClient, type PgPool } from './pool.js';

type Q = PgClient | PgPool;
type RetryDelay = (attempts: number) => number;

// Lease: the same columns and guards as the SQLite store's statements.
const COMPLETE = `UPDATE snippets SET state = 'rendered', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        next_attempt_at = 0, path = $3, duration_s = $4, splice_offset_s = $5, pre_s = $6, post_s = $7,
        crossfade_ms = $8, render_ms = $9, updated_at = $10
  WHERE event_id = $1 AND state = 'rendering' AND lease_owner = $2`;

const RELEASE_EXPIRED = `UPDATE snippets SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
  WHERE event_id IN (SELECT event_id FROM snippets WHERE state = 'rendering' AND lease_expires_at < $1 FOR UPDATE SKIP LOCKED)`;

/**
 * The snippet render queue on PostgreSQL, with the SQLite store's semantics (src/store/snippets.ts).
 * Any number of renderers on any machines share it: claims take rows with FOR UPDATE SKIP LOCKED, so
 * concurrent claimers lease disjoint snippets without waiting on each other; outcomes only apply while
 * the recorder still holds the lease.
 */
export function pgSnippets(pool: PgPool): SnippetsApi {

  async function complete(q: Q, eventId: string, owner: string, meta: RenderedMeta, now: number): Promise<boolean> {
    const r = await q.query(COMPLETE, [eventId, owner, meta.path, meta.duration_s, meta.splice_offset_s, meta.pre_s, meta.post_s, meta.crossfade_ms, meta.render_ms, now]);
    return r.rowCount === 1;
  }

  /** One failed attempt, on a client inside a transaction (the row stays locked from read to write). */
  async function failOne(c: PgClient, eventId: string, owner: string, error: string, now: number, permanent: boolean, retryDelayMs: RetryDelay): Promise<SnippetState | null> {
    const r = await c.query<{ attempts: number }>(`SELECT attempts FROM snippets WHERE event_id = $1 AND state = 'rendering' AND lease_owner = $2 FOR UPDATE`, [eventId, owner]);
    const prev = r.rows[0]?.attempts;
    if (prev === undefined) return null;
    const attempts = prev + 1;
    const state: SnippetState = permanent || attempts >= MAX_RENDER_ATTEMPTS ? 'failed' : 'pending';
    const next = state === 'pending' ? Math.round(now + retryDelayMs(attempts)) : 0;
    await c.query(
      `UPDATE snippets SET state = $1, attempts = $2, last_error = $3, lease_owner = NULL, lease_expires_at = NULL,
              next_attempt_at = $4, updated_at = $5 WHERE event_id = $6`,
      [state, attempts, error.slice(0, 2000), next, now, eventId],
    );
    return state;
  }

  /**
   * A batch's outcomes as three statements whatever its size: one UPDATE for the rendered ones, one
   * locking read of the failed ones' attempts, one UPDATE for them. Only for batches naming each
   * event once (the per-outcome path handles repeats in order, as SQLite does).
   */
  async function recordSet(c: PgClient, owner: string, now: number, outcomes: readonly RenderOutcome[], retryDelayMs: RetryDelay): Promise<RecordedState[]> {
    const done = new Map<string, RecordedState>();
    const oks = outcomes.filter((o): o is Extract<RenderOutcome, { ok: true }> => o.ok);
    if (oks.length > 0) {
      const r = await c.query<{ event_id: string }>(
        `UPDATE snippets s SET state = 'rendered', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
                next_attempt_at = 0, path = v.path, duration_s = v.duration_s, splice_offset_s = v.splice_offset_s,
                pre_s = v.pre_s, post_s = v.post_s, crossfade_ms = v.crossfade_ms, render_ms = v.render_ms, updated_at = $3
           FROM json_to_recordset($1::json) AS v(event_id text, path text, duration_s float8, splice_offset_s float8,
                pre_s float8, post_s float8, crossfade_ms float8, render_ms float8)
          WHERE s.event_id = v.event_id AND s.state = 'rendering' AND s.lease_owner = $2
        RETURNING s.event_id`,
        [JSON.stringify(oks.map((o) => ({ event_id: o.event_id, ...o.meta }))), owner, now],
      );
      for (const row of r.rows) done.set(row.event_id, 'rendered');
    }
    const fails = outcomes.filter((o): o is Extract<RenderOutcome, { ok: false }> => !o.ok);
    if (fails.length > 0) {
      const r = await c.query<{ event_id: string; attempts: number }>(
        `SELECT event_id, attempts FROM snippets WHERE event_id = ANY($1::text[]) AND state = 'rendering' AND lease_owner = $2 FOR UPDATE`,
        [fails.map((o) => o.event_id), owner],
      );
      const prev = new Map(r.rows.map((row) => [row.event_id, row.attempts]));
      const rows: { event_id: string; state: SnippetState; attempts: number; error: string; next: number }[] = [];
      for (const o of fails) {
        const p = prev.get(o.event_id);
        if (p === undefined) continue;
        const attempts = p + 1;
        const state: SnippetState = o.permanent || attempts >= MAX_RENDER_ATTEMPTS ? 'failed' : 'pending';
        rows.push({ event_id: o.event_id, state, attempts, error: o.error.slice(0, 2000), next: state === 'pending' ? Math.round(now + retryDelayMs(attempts)) : 0 });
        done.set(o.event_id, state);
      }
      if (rows.length > 0) {
        await c.query(
          `UPDATE snippets s SET state = v.state, attempts = v.attempts, last_error = v.error, lease_owner = NULL,
                  lease_expires_at = NULL, next_attempt_at = v.next, updated_at = $2
             FROM json_to_recordset($1::json) AS v(event_id text, state text, attempts int8, error text, next int8)
            WHERE s.event_id = v.event_id`,
          [JSON.stringify(rows), now],
        );
      }
    }
    return outcomes.map((o) => done.get(o.event_id) ?? null);
  }

  return {
    /**
     * As on SQLite: a pending row for every jump event above the render cursor (or the share of them
     * chosen by the event id's hash). Enqueuers serialize on the cursor row; ON CONFLICT DO NOTHING
     * keeps one row per event whatever runs at once.
     *
     * Unlike SQLite's single writer, several ingest nodes commit concurrently, so jump_events ids do
     * not become visible in order. The cursor moves only to committedMaxEventId (barrier.ts): every id
     * at or below it belongs to a finished transaction, and this transaction's statements, which
     * start after it, see them all.
     */
    async enqueueNew(now: number, share = 1): Promise<number> {
      const max = await committedMaxEventId(pool);
      return pgTransaction(pool, async (c) => {
        const last = (await c.query<{ last_event: number }>('SELECT last_event FROM render_cursor WHERE id = 1 FOR UPDATE')).rows[0]!.last_event;
        if (max <= last) return 0;
        let n = 0;
        if (share >= 1) {
          const r = await c.query(
            `INSERT INTO snippets (event_id, state, enqueued_at, updated_at)
             SELECT event_id, 'pending', $1, $1 FROM jump_events WHERE id > $2 AND id <= $3 ORDER BY id
             ON CONFLICT (event_id) DO NOTHING`,
            [now, last, max],
          );
          n = r.rowCount ?? 0;
        } else {
          const ids = (await c.query<{ event_id: string }>('SELECT event_id FROM jump_events WHERE id > $1 AND id <= $2 ORDER BY id', [last, max])).rows
            .map((r) => r.event_id)
            .filter((id) => unitHash(id) < share);
          if (ids.length > 0) {
            const r = await c.query(
              `INSERT INTO snippets (event_id, state, enqueued_at, updated_at)
               SELECT id, 'pending', $2, $2 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord) ORDER BY ord
               ON CONFLICT (event_id) DO NOTHING`,
              [ids, now],
            );
            n = r.rowCount ?? 0;
          }
        }
        await c.query('UPDATE render_cursor SET last_event = $1 WHERE id = 1', [max]);
        return n;
      });
    },

    async releaseExpired(now: number): Promise<number> {
      return (await pool.query(RELEASE_EXPIRED, [now])).rowCount ?? 0;
    },

    /**
     * Leases up to `limit` due pending snippets to `owner`, oldest first (enqueued_at, then the event's
     * arrival: SQLite's rowid order, since rows are enqueued in jump_events id order). Rows another
     * claimer has locked are skipped, not waited for, so concurrent claimers get disjoint jobs.
     */
    async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<RenderJob[]> {
      return pgTransaction(pool, async (c) => {
        await c.query(RELEASE_EXPIRED, [now]);
        const picked = await c.query<{ event_id: string }>(
          `SELECT s.event_id FROM snippets s LEFT JOIN jump_events e ON e.event_id = s.event_id
            WHERE s.state = 'pending' AND s.next_attempt_at <= $1
            ORDER BY s.enqueued_at, e.id LIMIT $2
            FOR UPDATE OF s SKIP LOCKED`,
          [now, limit],
        );
        const ids = picked.rows.map((r) => r.event_id);
        if (ids.length === 0) return [];
        await c.query(
          `UPDATE snippets SET state = 'rendering', lease_owner = $1, lease_expires_at = $2, updated_at = $3
            WHERE event_id = ANY($4::text[]) AND state = 'pending'`,
          [owner, Math.round(now + leaseMs), now, ids],
        );
        const jobs = await c.query<RenderJob>(
          `SELECT s.event_id, e.track_id, e.source_time, e.target_time, s.attempts,
                  t.path AS track_path, t.sha256 AS track_sha256, t.duration AS track_duration
             FROM snippets s JOIN jump_events e ON e.event_id = s.event_id
             LEFT JOIN tracks t ON t.track_id = e.track_id
            WHERE s.event_id = ANY($1::text[])`,
          [ids],
        );
        const byId = new Map(jobs.rows.map((j) => [j.event_id, j]));
        return ids.map((id) => byId.get(id)!);
      });
    },

    async complete(eventId: string, owner: string, meta: RenderedMeta, now: number): Promise<boolean> {
      return complete(pool, eventId, owner, meta, now);
    },

    async fail(eventId: string, owner: string, error: string, now: number, permanent: boolean, retryDelayMs: RetryDelay): Promise<SnippetState | null> {
      return pgTransaction(pool, (c) => failOne(c, eventId, owner, error, now, permanent, retryDelayMs));
    },

    /** A batch of outcomes in ONE transaction (one commit for the batch), applied as complete / fail would. */
    async record(owner: string, now: number, outcomes: readonly RenderOutcome[], retryDelayMs: RetryDelay): Promise<RecordedState[]> {
      if (outcomes.length === 0) return [];
      return pgTransaction(pool, async (c) => {
        if (new Set(outcomes.map((o) => o.event_id)).size === outcomes.length) return recordSet(c, owner, now, outcomes, retryDelayMs);
        const states: RecordedState[] = [];
        for (const o of outcomes) {
          if (o.ok) {
            states.push((await complete(c, o.event_id, owner, o.meta, now)) ? 'rendered' : null);
          } else {
            const st = await failOne(c, o.event_id, owner, o.error, now, o.permanent, retryDelayMs);
            states.push(st === 'failed' || st === 'pending' ? st : null);
          }
        }
        return states;
      });
    },

    async retryFailed(now: number): Promise<number> {
      const r = await pool.query(
        `UPDATE snippets SET state = 'pending', attempts = 0, next_attempt_at = 0, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = $1 WHERE state = 'failed'`,
        [now],
      );
      return r.rowCount ?? 0;
    },

    async releaseOwner(owner: string, now: number): Promise<number> {
      const r = await pool.query(
        `UPDATE snippets SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
          WHERE state = 'rendering' AND lease_owner = $1`,
        [owner, now],
      );
      return r.rowCount ?? 0;
    },

    async setReference(eventId: string, refPath: string, now: number): Promise<void> {
      await pool.query('UPDATE snippets SET ref_path = $1, updated_at = $2 WHERE event_id = $3', [refPath, now, eventId]);
    },

    async get(eventId: string): Promise<SnippetRow | undefined> {
      return (await pool.query<SnippetRow>('SELECT * FROM snippets WHERE event_id = $1', [eventId])).rows[0];
    },

    async queueStats() {
      const by_state: Record<SnippetState, number> = { pending: 0, rendering: 0, rendered: 0, failed: 0 };
      for (const r of (await pool.query<{ state: SnippetState; n: number }>('SELECT state, count(*)::int8 AS n FROM snippets GROUP BY state')).rows) {
        by_state[r.state] = r.n;
      }
      // Ties in count: by reason in byte order (COLLATE "C"), as on SQLite.
      const failed_by_reason = (
        await pool.query<{ reason: string; count: number }>(
          `SELECT coalesce(last_error, 'unknown') COLLATE "C" AS reason, count(*)::int8 AS count FROM snippets WHERE state = 'failed'
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`,
        )
      ).rows;
      return { by_state, failed_by_reason };
    },

    async pendingCount(): Promise<number> {
      return (await pool.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM snippets WHERE state = 'pending'`)).rows[0]!.n;
    },

    async dueCount(now: number): Promise<number> {
      return (await pool.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM snippets WHERE state = 'pending' AND next_attempt_at <= $1`, [now])).rows[0]!.n;
    },

    async nextAttemptAt(now: number): Promise<number | null> {
      return (await pool.query<{ t: number | null }>(`SELECT min(next_attempt_at) AS t FROM snippets WHERE state = 'pending' AND next_attempt_at > $1`, [now])).rows[0]!.t ?? null;
    },
  };
}
