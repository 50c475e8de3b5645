import type { DashboardApi } from '../api.js';
import type { BucketRow, WorstJumpRow } from '../dashboard.js';
import type { PgPool } from './pool.js';

/**
 * The dashboard's bucketed reads on PostgreSQL. received_at and the bucket width are BIGINT, so
 * `received_at / b * b` is the integer bucket start, as CAST(… AS INTEGER) makes it in SQLite.
 * Bucket widths arrive as JS numbers: rounded, since a BIGINT parameter refuses a fraction.
 */
export function pgDashboard(pool: PgPool): DashboardApi {
  const series = async (sql: string, sinceMs: number, bucketMs: number): Promise<BucketRow[]> =>
    (await pool.query<BucketRow>(sql, [Math.max(1, Math.round(bucketMs)), Math.floor(sinceMs)])).rows;
  const one = async (sql: string, params: unknown[]): Promise<number> => (await pool.query<{ n: number }>(sql, params)).rows[0]!.n;
  return {
    rewardSeries: (sinceMs: number, bucketMs: number) =>
      series(
        `SELECT j.received_at / $1 * $1 AS t, coalesce(j.policy_mode, 'none') || '|' || r.source AS key,
                count(*)::int8 AS n, sum(r.reward)::float8 AS sum
           FROM jump_events j JOIN rewards r ON r.event_id = j.event_id
          WHERE j.received_at >= $2 AND r.kind = 'jump' AND r.source IN ('label', 'implicit')
          GROUP BY 1, 2 ORDER BY 1`,
        sinceMs,
        bucketMs,
      ),
    decisionSeries: (sinceMs: number, bucketMs: number) =>
      series(
        `SELECT received_at / $1 * $1 AS t, coalesce(policy_mode, 'none') AS key, count(*)::int8 AS n, 0 AS sum
           FROM jump_events WHERE received_at >= $2 GROUP BY 1, 2 ORDER BY 1`,
        sinceMs,
        bucketMs,
      ),
    labelSeries: (sinceMs: number, bucketMs: number) =>
      series(
        `SELECT created_at / $1 * $1 AS t, labeler AS key, count(*)::int8 AS n, 0 AS sum
           FROM labels WHERE created_at >= $2 GROUP BY 1, 2 ORDER BY 1`,
        sinceMs,
        bucketMs,
      ),
    renderSeries: (sinceMs: number, bucketMs: number) =>
      series(
        `SELECT updated_at / $1 * $1 AS t, state AS key, count(*)::int8 AS n, 0 AS sum
           FROM snippets WHERE updated_at >= $2 AND state IN ('rendered', 'failed') GROUP BY 1, 2 ORDER BY 1`,
        sinceMs,
        bucketMs,
      ),
    enqueuedSeries: (sinceMs: number, bucketMs: number) =>
      series(
        `SELECT enqueued_at / $1 * $1 AS t, 'enqueued' AS key, count(*)::int8 AS n, 0 AS sum
           FROM snippets WHERE enqueued_at >= $2 GROUP BY 1 ORDER BY 1`,
        sinceMs,
        bucketMs,
      ),
    mixedArmSessions: (sinceMs: number) =>
      one(
        `SELECT count(*)::int8 AS n FROM (SELECT session_id FROM jump_events WHERE received_at >= $1 AND policy_mode IS NOT NULL
           GROUP BY session_id HAVING count(DISTINCT policy_mode) > 1) mixed`,
        [Math.floor(sinceMs)],
      ),
    rejectedSince: (sinceMs: number) => one('SELECT coalesce(sum(items), 0)::int8 AS n FROM rejected_events WHERE received_at >= $1', [Math.floor(sinceMs)]),
    async snippetBacklog() {
      const r = await pool.query<{ waiting: number; oldest_enqueued_at: number | null }>(
        "SELECT count(*)::int8 AS waiting, min(enqueued_at) AS oldest_enqueued_at FROM snippets WHERE state IN ('pending', 'rendering')",
      );
      return r.rows[0]!;
    },
    clipsWaiting: () =>
      one("SELECT count(*)::int8 AS n FROM snippets s WHERE s.state = 'rendered' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.event_id = s.event_id)", []),
    async firstEventAt() {
      const r = await pool.query<{ t: number | null }>('SELECT min(received_at) AS t FROM jump_events');
      return r.rows[0]!.t ?? null;
    },
    async worstJumps(sinceMs: number, limit: number) {
      // candidates is the logged JSON text: the chosen candidate's features, as SQLite's json_each finds them.
      const r = await pool.query<WorstJumpRow>(
        `SELECT j.event_id, j.track_id, r.reward, r.source, j.received_at, j.source_time, j.target_time, j.similarity,
                j.span, j.same_section, j.policy_mode,
                (SELECT c ->> 'features' FROM json_array_elements(CASE WHEN json_typeof(j.candidates::json) = 'array' THEN j.candidates::json ELSE '[]'::json END) c
                  WHERE c ->> 'chosen' = 'true' LIMIT 1) AS chosen_features
           FROM jump_events j
           JOIN rewards r ON r.event_id = j.event_id AND r.kind = 'jump' AND r.source IN ('label', 'implicit')
           JOIN snippets s ON s.event_id = j.event_id AND s.state = 'rendered'
          WHERE j.received_at >= $1
          ORDER BY r.reward ASC, j.received_at DESC LIMIT $2`,
        [Math.floor(sinceMs), limit],
      );
      return r.rows;
    },
  };
}
