import type { TelemetryApi } from '../api.js';
import type { ArmCounts } from '../telemetry.js';
import type { PgPool } from './pool.js';

type Split = { arm: 'baseline' | 'rl'; sessions: number; expected_sessions: number };

/**
 * The telemetry's aggregates on PostgreSQL. There is no inbox here (each node inserts straight into
 * jump_events at its group commit), so every count reads the tables alone.
 */
export function pgTelemetry(pool: PgPool): TelemetryApi {
  const sessionSplit = async (): Promise<Split[]> => {
    const r = await pool.query<{ arm: 'baseline' | 'rl'; n: number; p: number; q: number }>(
      'SELECT arm, count(*)::int8 AS n, sum(probability)::float8 AS p, sum(1 - probability)::float8 AS q FROM policy_assignments GROUP BY arm',
    );
    const arms = new Map<string, Split>([
      ['baseline', { arm: 'baseline', sessions: 0, expected_sessions: 0 }],
      ['rl', { arm: 'rl', sessions: 0, expected_sessions: 0 }],
    ]);
    // As in the SQLite store: a session drawn with probability p for its arm counts 1 - p to the other.
    for (const s of r.rows) {
      arms.get(s.arm)!.sessions = s.n;
      arms.get(s.arm)!.expected_sessions += s.p;
      arms.get(s.arm === 'rl' ? 'baseline' : 'rl')!.expected_sessions += s.q;
    }
    return [...arms.values()];
  };
  return {
    async totals() {
      const r = await pool.query<{ events: number; rejected: number; sessions: number }>(
        `SELECT (SELECT count(*) FROM jump_events)::int8 AS events,
                (SELECT coalesce(sum(items), 0) FROM rejected_events)::int8 AS rejected,
                (SELECT count(*) FROM policy_assignments)::int8 AS sessions`,
      );
      return r.rows[0]!;
    },
    async perArm() {
      const [events, split] = await Promise.all([
        pool.query<{ arm: string; n: number }>("SELECT coalesce(policy_mode, 'none') AS arm, count(*)::int8 AS n FROM jump_events GROUP BY 1"),
        sessionSplit(),
      ]);
      const arms = new Map<string, ArmCounts>();
      for (const a of split) arms.set(a.arm, { ...a, events: 0 });
      for (const e of events.rows) {
        const a = arms.get(e.arm);
        if (a) a.events = e.n;
        else arms.set(e.arm, { arm: e.arm, events: e.n, sessions: 0, expected_sessions: 0 });
      }
      return [...arms.values()];
    },
    sessionSplit,
    async sessionsWithEvents() {
      const r = await pool.query<{ arm: string; sessions: number }>(
        `WITH active AS (SELECT session_id FROM jump_events UNION SELECT session_id FROM listener_events)
         SELECT coalesce(a.arm, 'none') AS arm, count(*)::int8 AS sessions
           FROM active s LEFT JOIN policy_assignments a ON a.session_id = s.session_id
          GROUP BY 1 ORDER BY coalesce(a.arm, 'none') COLLATE "C"`,
      );
      return r.rows;
    },
    async rejectedByReason() {
      const r = await pool.query<{ reason: string; count: number }>(
        'SELECT reason, sum(items)::int8 AS count FROM rejected_events GROUP BY reason ORDER BY count DESC, reason COLLATE "C"',
      );
      return r.rows;
    },
    async eventsSince(sinceMs: number) {
      const r = await pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM jump_events WHERE received_at >= $1', [sinceMs]);
      return r.rows[0]!.n;
    },
  };
}
