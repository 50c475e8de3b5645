import type { Db } from './sqlite.js';

/** One bucket of a time series: bucket start (ms), a series key, a count and a sum. */
export interface BucketRow {
  t: number;
  key: string;
  n: number;
  sum: number;
}

export interface WorstJumpRow {
  event_id: string;
  track_id: string;
  reward: number;
  source: string;
  received_at: number;
  source_time: number;
  target_time: number;
  similarity: number | null;
  span: number | null;
  same_section: number | null;
  policy_mode: string | null;
  chosen_features: string | null;
}

/**
 * Read-only, bucketed queries behind the dashboard (`/api/rl/dashboard/*`). Buckets are computed in SQL
 * (received_at / bucket · bucket) over index ranges of received_at, so a refresh reads only the chosen
 * time range.
 */
export class DashboardStore {
  constructor(private readonly db: Db) {}

  /**
   * Jump rewards (label or implicit) per bucket of the event's arrival, keyed "arm|source". CROSS JOIN
   * keeps SQLite on the received_at range first (left to itself it scans every reward).
   */
  rewardSeries(sinceMs: number, bucketMs: number): BucketRow[] {
    return this.db
      .prepare(
        `SELECT CAST(j.received_at / @b AS INTEGER) * @b AS t, coalesce(j.policy_mode, 'none') || '|' || r.source AS key,
                count(*) AS n, sum(r.reward) AS sum
           FROM jump_events j CROSS JOIN rewards r ON r.event_id = j.event_id
          WHERE j.received_at >= @since AND r.kind = 'jump' AND r.source IN ('label', 'implicit')
          GROUP BY 1, 2 ORDER BY 1`,
      )
      .all({ b: bucketMs, since: sinceMs }) as BucketRow[];
  }

  /** Jump events (decisions) per bucket, keyed by arm. */
  decisionSeries(sinceMs: number, bucketMs: number): BucketRow[] {
    return this.db
      .prepare(
        `SELECT CAST(received_at / @b AS INTEGER) * @b AS t, coalesce(policy_mode, 'none') AS key, count(*) AS n, 0 AS sum
           FROM jump_events WHERE received_at >= @since GROUP BY 1, 2 ORDER BY 1`,
      )
      .all({ b: bucketMs, since: sinceMs }) as BucketRow[];
  }

  /** Labels per bucket of their creation, keyed by labeler. */
  labelSeries(sinceMs: number, bucketMs: number): BucketRow[] {
    return this.db
      .prepare(
        `SELECT CAST(created_at / @b AS INTEGER) * @b AS t, labeler AS key, count(*) AS n, 0 AS sum
           FROM labels WHERE created_at >= @since GROUP BY 1, 2 ORDER BY 1`,
      )
      .all({ b: bucketMs, since: sinceMs }) as BucketRow[];
  }

  /** Snippets that finished (rendered or failed) per bucket, keyed by state. */
  renderSeries(sinceMs: number, bucketMs: number): BucketRow[] {
    return this.db
      .prepare(
        `SELECT CAST(updated_at / @b AS INTEGER) * @b AS t, state AS key, count(*) AS n, 0 AS sum
           FROM snippets WHERE updated_at >= @since AND state IN ('rendered', 'failed') GROUP BY 1, 2 ORDER BY 1`,
      )
      .all({ b: bucketMs, since: sinceMs }) as BucketRow[];
  }

  /** Snippets queued for rendering per bucket of their enqueue time (key "enqueued"). */
  enqueuedSeries(sinceMs: number, bucketMs: number): BucketRow[] {
    return this.db
      .prepare(
        `SELECT CAST(enqueued_at / @b AS INTEGER) * @b AS t, 'enqueued' AS key, count(*) AS n, 0 AS sum
           FROM snippets WHERE enqueued_at >= @since GROUP BY 1 ORDER BY 1`,
      )
      .all({ b: bucketMs, since: sinceMs }) as BucketRow[];
  }

  /**
   * Sessions whose jump events carry more than one arm (a sticky split never does). INDEXED BY: the
   * planner would otherwise walk the session index over every event for the GROUP BY.
   */
  mixedArmSessions(sinceMs: number): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM (SELECT session_id FROM jump_events INDEXED BY jump_events_received_at
                                 WHERE received_at >= ? AND policy_mode IS NOT NULL
           GROUP BY session_id HAVING count(DISTINCT policy_mode) > 1)`,
      )
      .pluck()
      .get(sinceMs) as number;
  }

  rejectedSince(sinceMs: number): number {
    return this.db.prepare('SELECT coalesce(sum(items), 0) FROM rejected_events WHERE received_at >= ?').pluck().get(sinceMs) as number;
  }

  /** Snippets waiting to render and when the oldest of them was queued (ms), or null. */
  snippetBacklog(): { waiting: number; oldest_enqueued_at: number | null } {
    return this.db
      .prepare(`SELECT count(*) AS waiting, min(enqueued_at) AS oldest_enqueued_at FROM snippets WHERE state IN ('pending', 'rendering')`)
      .get() as { waiting: number; oldest_enqueued_at: number | null };
  }

  /** Rendered clips nobody has labeled yet. */
  clipsWaiting(): number {
    return this.db
      .prepare(`SELECT count(*) FROM snippets s WHERE s.state = 'rendered' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.event_id = s.event_id)`)
      .pluck()
      .get() as number;
  }

  /** When the first stored jump event arrived (ms), or null. */
  firstEventAt(): number | null {
    return (this.db.prepare('SELECT min(received_at) FROM jump_events').pluck().get() as number | null) ?? null;
  }

  /** The lowest-reward rendered jumps received since `sinceMs`, with their features. */
  worstJumps(sinceMs: number, limit: number): WorstJumpRow[] {
    return this.db
      .prepare(
        `SELECT j.event_id, j.track_id, r.reward, r.source, j.received_at, j.source_time, j.target_time, j.similarity,
                j.span, j.same_section, j.policy_mode,
                (SELECT c.value ->> '$.features' FROM json_each(j.candidates) c WHERE c.value ->> '$.chosen' = 1 LIMIT 1) AS chosen_features
           FROM jump_events j
           JOIN rewards r ON r.event_id = j.event_id AND r.kind = 'jump' AND r.source IN ('label', 'implicit')
           JOIN snippets s ON s.event_id = j.event_id AND s.state = 'rendered'
          WHERE j.received_at >= ?
          ORDER BY r.reward ASC, j.received_at DESC LIMIT ?`,
      )
      .all(sinceMs, limit) as WorstJumpRow[];
  }
}
