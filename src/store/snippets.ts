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
  /** A pending row is not leased before this time (ms; 0 = at once): the backoff after a temporary failure. */
  next_attempt_at: number;
}

/**
 * Failed attempts after which a snippet is `failed` for good whatever the retry policy says (the
 * renderer's backoff, src/render/failures.ts, reaches this after about a day of retries).
 */
export const MAX_RENDER_ATTEMPTS = 150;

/** The outcome of one leased snippet, recorded by `record` in a batch. */
export type RenderOutcome =
  | { readonly event_id: string; readonly ok: true; readonly meta: RenderedMeta }
  | {
      readonly event_id: string;
      readonly ok: false;
      readonly error: string;
      /** A retry cannot help (unknown track, undecodable audio, invalid event): `failed` at once. */
      readonly permanent: boolean;
    };

/** What `record` did with an outcome: the row's new state, or null when this owner no longer held the lease. */
export type RecordedState = 'rendered' | 'pending' | 'failed' | null;

/**
 * The snippet render queue. Every transition is one short transaction, so a render process and
 * the server can share the SQLite file; leases make a crashed renderer's claims come back.
 * The renderer's hot statements are prepared once, on first use (a read-only Store never prepares them).
 */
export class SnippetStore {
  #stmts: ReturnType<SnippetStore['prepare']> | undefined;

  constructor(private readonly db: Db) {}

  private prepare() {
    return {
      complete: this.db.prepare(
        `UPDATE snippets SET state = 'rendered', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
                next_attempt_at = 0, path = @path, duration_s = @duration_s, splice_offset_s = @splice_offset_s,
                pre_s = @pre_s, post_s = @post_s, crossfade_ms = @crossfade_ms, render_ms = @render_ms, updated_at = @now
          WHERE event_id = @eventId AND state = 'rendering' AND lease_owner = @owner`,
      ),
      attempts: this.db.prepare(`SELECT attempts FROM snippets WHERE event_id = ? AND state = 'rendering' AND lease_owner = ?`).pluck(),
      fail: this.db.prepare(
        `UPDATE snippets SET state = @state, attempts = @attempts, last_error = @error, lease_owner = NULL,
                lease_expires_at = NULL, next_attempt_at = @next, updated_at = @now WHERE event_id = @eventId`,
      ),
    };
  }

  get #s() {
    return (this.#stmts ??= this.prepare());
  }

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

  /**
   * Leases up to `limit` due pending snippets (next_attempt_at ≤ now: a snippet backing off after a
   * temporary failure waits) to `owner` until now + leaseMs, oldest first.
   */
  claim(owner: string, limit: number, now: number, leaseMs: number): RenderJob[] {
    return this.db.transaction(() => {
      this.releaseExpired(now);
      const ids = this.db
        .prepare(`SELECT event_id FROM snippets WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY enqueued_at, rowid LIMIT ?`)
        .pluck()
        .all(now, limit) as string[];
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
    return this.#s.complete.run({ ...meta, eventId, owner, now }).changes === 1;
  }

  /**
   * Records a failed attempt: `failed` for good when `permanent` or after MAX_RENDER_ATTEMPTS, else back
   * to pending until now + retryDelayMs(attempts) (attempts counts this one). Null when this owner no
   * longer holds the lease.
   */
  fail(eventId: string, owner: string, error: string, now: number, permanent: boolean, retryDelayMs: (attempts: number) => number): SnippetState | null {
    return this.db.transaction(() => this.#fail(eventId, owner, error, now, permanent, retryDelayMs)).immediate();
  }

  /**
   * Records the outcomes of many leased snippets in ONE transaction (one WAL commit, one fsync, for
   * the whole batch instead of one per snippet). Each outcome is applied as `complete` / `fail` would;
   * the result says per outcome what became of the row (null: the lease had passed to someone else).
   * Synchronous: the caller must not await between collecting and recording.
   */
  record(owner: string, now: number, outcomes: readonly RenderOutcome[], retryDelayMs: (attempts: number) => number): RecordedState[] {
    if (outcomes.length === 0) return [];
    return this.db.transaction(() =>
      outcomes.map((o): RecordedState => {
        if (o.ok) return this.complete(o.event_id, owner, o.meta, now) ? 'rendered' : null;
        const state = this.#fail(o.event_id, owner, o.error, now, o.permanent, retryDelayMs);
        return state === 'failed' || state === 'pending' ? state : null;
      }),
    ).immediate();
  }

  #fail(eventId: string, owner: string, error: string, now: number, permanent: boolean, retryDelayMs: (attempts: number) => number): SnippetState | null {
    const prev = this.#s.attempts.get(eventId, owner) as number | undefined;
    if (prev === undefined) return null;
    const attempts = prev + 1;
    const state: SnippetState = permanent || attempts >= MAX_RENDER_ATTEMPTS ? 'failed' : 'pending';
    const next = state === 'pending' ? now + retryDelayMs(attempts) : 0;
    this.#s.fail.run({ state, attempts, error: error.slice(0, 2000), now, next, eventId });
    return state;
  }

  /**
   * Puts every `failed` snippet back to pending with a fresh attempt count, due at once
   * (`harmonizer snippets --retry-failed`, after the cause was fixed). Returns how many.
   */
  retryFailed(now: number): number {
    return this.db
      .prepare(
        `UPDATE snippets SET state = 'pending', attempts = 0, next_attempt_at = 0, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = ? WHERE state = 'failed'`,
      )
      .run(now).changes;
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
      // Ties by reason (byte order), so the list is the same on every run and on PostgreSQL.
      .prepare(`SELECT coalesce(last_error, 'unknown') AS reason, count(*) AS count FROM snippets WHERE state = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`)
      .all() as { reason: string; count: number }[];
    return { by_state, failed_by_reason };
  }

  /** Pending snippets, including those waiting out a retry delay. */
  pendingCount(): number {
    return this.db.prepare(`SELECT count(*) FROM snippets WHERE state = 'pending'`).pluck().get() as number;
  }

  /** Pending snippets that may be leased at `now` (for progress bars and the watcher's loop). */
  dueCount(now: number): number {
    return this.db.prepare(`SELECT count(*) FROM snippets WHERE state = 'pending' AND next_attempt_at <= ?`).pluck().get(now) as number;
  }

  /** The earliest time a pending snippet backing off becomes due (ms), or null when none waits past `now`. */
  nextAttemptAt(now: number): number | null {
    return (this.db.prepare(`SELECT min(next_attempt_at) FROM snippets WHERE state = 'pending' AND next_attempt_at > ?`).pluck().get(now) as number | null) ?? null;
  }
}
