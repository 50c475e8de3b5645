import type { PolicyArm } from '../../shared/jump-event.js';
import type { PolicyApi } from '../api.js';
import type { Assignment, ArmEvidence } from '../policy.js';
import { assignOnce } from './ingest.js';
import type { PgPool } from './pool.js';

/** policy_assignments: one sticky row per browser session, the first assignment (from any node) wins. */
export function pgPolicy(pool: PgPool): PolicyApi {
  return {
    async get(sessionId: string) {
      const r = await pool.query<Assignment>('SELECT * FROM policy_assignments WHERE session_id = $1', [sessionId]);
      return r.rows[0];
    },
    assignOnce: (a: Assignment) => assignOnce(pool, a),
    async armEvidence() {
      const out: Record<PolicyArm, ArmEvidence> = { baseline: { labels: 0, good: 0 }, rl: { labels: 0, good: 0 } };
      const r = await pool.query<{ arm: PolicyArm; labels: number; good: number }>(
        `SELECT e.policy_mode AS arm, count(*)::int8 AS labels, count(*) FILTER (WHERE l.label = 'good')::int8 AS good
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id
          WHERE e.policy_mode IN ('baseline', 'rl')
          GROUP BY e.policy_mode`,
      );
      for (const row of r.rows) out[row.arm] = { labels: row.labels, good: row.good };
      return out;
    },
  };
}
