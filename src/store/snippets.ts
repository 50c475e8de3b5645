import type { Db } from './sqlite.js';
import { unitHash } from '../shared/hash.js';

export type SnippetState = 'pending' | 'rendering' | 'rendered' | 'failed';

/** What the renderer needs to render one claimed jump (event fields joined with its track). */
export interface RenderJob {
  event_id: string;
  track_id: string;
  source_time: number;
  target_time: number;
  attempts: number;
  /** null when the event names no registered track. */
  track_path: string | null;
  track_sha256: string | null;
  track_duration: number | null;
}

export interface RenderedMeta {
  path: string;
  duration_s: number;
  splice_offset_s: number;
  pre_s: number;
  post_s: number;
  crossfade_ms: number;
  render_ms: number;
}

export interface SnippetRow extends Partial<RenderedMeta> {
  event_id: string;
  state: SnippetState;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  ref_path: string | null;
  enqueued_at: number;
  updated_at: number;
}

/** Failed renders after which a snippet is `failed` for good. */
export const MAX_RENDER_ATTEMPTS = 3;

/**
 * The snippet render queue. Every transition is one short transaction, so a render process and
 * the server can share the SQLite file; leases make a crashed renderer's claims come back.
 */
export class SnippetStore {
  constructor(private readonly db: Db) {}

  /**
   * Adds a pending row for every jump event not yet enqueued (cursor over jump_events.id), or for the
   * share `share` of them chosen by a hash of the event id (RL_RENDER_SHARE: every renderer agrees).
   */
  enqueueNew(now: number, share = 1): number {
    return this.db.transaction(() => {
      const last = this.db.prepare('SELECT last_event FROM render_cursor WHERE id = 1').pluck().get() as number;
      const max = this.db.prepare('SELECT coalesce(max(id), 0) FROM jump_events').pluck().get() as number;
      if (max <= last) return 0;
      let n = 0;
      if (share >= 1) {
        n = this.db
          .prepare(
            `INSERT OR IGNORE INTO snippets (event_id, state, enqueued_at, updated_at)
             SELECT event_id, 'pending', @now, @now FROM jump_events WHERE id > @last AND id <= @max ORDER BY id`,
          )
          .run({ now, last, max }).changes;
      } else {
        const ids = this.db.prepare('SELECT event_id FROM jump_events WHERE id > ? AND id <= ? ORDER BY id').pluck().all(last, max) as string[];
        const insert = this.db.prepare(`INSERT OR IGNORE INTO snippets (event_id, state, enqueued_at, updated_at) VALUES (?, 'pending', ?, ?)`);
        for (const id of ids) if (unitHash(id) < share) n += insert.run(id, now, now).changes;
      }
      this.db.prepare('UPDATE render_cursor SET last_event = ? WHERE id = 1').run(max);
      return n;
    }).immediate();
  }

  /** Expired leases go back to pending (their renderer died or stalled). */
  releaseExpired(now: number): number {
    return this.db
      .prepare(
        `UPDATE snippets SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE state = 'rendering' AND lease_expires_at < @now`,
      )
      .run({ now }).changes;
  }

  /** Leases up to `limit` pending snippets to `owner` until now + leaseMs, oldest first. */
  claim(owner: string, limit: number, now: number, leaseMs: number): RenderJob[] {
    return this.db.transaction(() => {
      this.releaseExpired(now);
      const ids = this.db
        .prepare(`SELECT event_id FROM snippets WHERE state = 'pending' ORDER BY enqueued_at, rowid LIMIT ?`)
        .pluck()
        .all(limit) as string[];
      if (ids.length === 0) return [];
      const lease = this.db.prepare(
        `UPDATE snippets SET state = 'rendering', lease_owner = @owner, lease_expires_at = @until, updated_at = @now
          WHERE event_id = @id AND state = 'pending'`,
      );
      for (const id of ids) lease.run({ owner, until: now + leaseMs, now, id });
      const get = this.db.prepare(
        `SELECT s.event_id, e.track_id, e.source_time, e.target_time, s.attempts,
                t.path AS track_path, t.sha256 AS track_sha256, t.duration AS track_duration
           FROM snippets s JOIN jump_events e ON e.event_id = s.event_id
           LEFT JOIN tracks t ON t.track_id = e.track_id
          WHERE s.event_id = ?`,
      );
      return ids.map((id) => get.get(id) as RenderJob);
    })();
  }

  /** Marks a leased snippet rendered (only while this owner holds the lease; true when it did). */
  complete(eventId: string, owner: string, meta: RenderedMeta, now: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE snippets SET state = 'rendered', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
                  path = @path, duration_s = @duration_s, splice_offset_s = @splice_offset_s, pre_s = @pre_s,
                  post_s = @post_s, crossfade_ms = @crossfade_ms, render_ms = @render_ms, updated_at = @now
            WHERE event_id = @eventId AND state = 'rendering' AND lease_owner = @owner`,
        )
        .run({ ...meta, eventId, owner, now }).changes === 1
    );
  }

  /**
   * Records a failed attempt: back to pending, or `failed` for good after MAX_RENDER_ATTEMPTS (or at
   * once when `permanent`, e.g. an unknown track that retrying cannot fix).
   */
  fail(eventId: string, owner: string, error: string, now: number, permanent = false): SnippetState | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare(`SELECT attempts FROM snippets WHERE event_id = ? AND state = 'rendering' AND lease_owner = ?`)
        .get(eventId, owner) as { attempts: number } | undefined;
      if (!row) return null;
      const attempts = row.attempts + 1;
      const state: SnippetState = permanent || attempts >= MAX_RENDER_ATTEMPTS ? 'failed' : 'pending';
      this.db
        .prepare(
          `UPDATE snippets SET state = @state, attempts = @attempts, last_error = @error, lease_owner = NULL,
                  lease_expires_at = NULL, updated_at = @now WHERE event_id = @eventId`,
        )
        .run({ state, attempts, error: error.slice(0, 2000), now, eventId });
      return state;
    }).immediate();
  }

  /** Gives back this owner's leases (graceful shutdown). */
  releaseOwner(owner: string, now: number): number {
    return this.db
      .prepare(
        `UPDATE snippets SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE state = 'rendering' AND lease_owner = @owner`,
      )
      .run({ owner, now }).changes;
  }

  /** Records the path of an on-demand reference (no-jump) clip. */
  setReference(eventId: string, refPath: string, now: number): void {
    this.db.prepare('UPDATE snippets SET ref_path = ?, updated_at = ? WHERE event_id = ?').run(refPath, now, eventId);
  }

  get(eventId: string): SnippetRow | undefined {
    return this.db.prepare('SELECT * FROM snippets WHERE event_id = ?').get(eventId) as SnippetRow | undefined;
  }

  /** Snippet counts by state, and failures grouped by their last error. */
  queueStats(): { by_state: Record<SnippetState, number>; failed_by_reason: { reason: string; count: number }[] } {
    const by_state: Record<SnippetState, number> = { pending: 0, rendering: 0, rendered: 0, failed: 0 };
    for (const r of this.db.prepare('SELECT state, count(*) AS n FROM snippets GROUP BY state').all() as { state: SnippetState; n: number }[]) {
      by_state[r.state] = r.n;
    }
    const failed_by_reason = this.db
      .prepare(`SELECT coalesce(last_error, 'unknown') AS reason, count(*) AS count FROM snippets WHERE state = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 20`)
      .all() as { reason: string; count: number }[];
    return { by_state, failed_by_reason };
  }

  /** Pending snippets (for progress bars). */
  pendingCount(): number {
    return this.db.prepare(`SELECT count(*) FROM snippets WHERE state = 'pending'`).pluck().get() as number;
  }
}
