import type { Db } from './sqlite.js';
import type { PolicyArm } from '../shared/jump-event.js';

export interface Assignment {
  session_id: string;
  arm: PolicyArm;
  probability: number;
  mode: string;
  eps: number;
  model_version: string | null;
  reason: string | null;
  assigned_at: number;
}

/** Label evidence per arm: labeled jumps and good labels (telemetry). */
export interface ArmEvidence {
  labels: number;
  good: number;
}

/** policy_assignments: one sticky row per browser session. */
export class PolicyStore {
  private readonly getStmt;
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare('SELECT * FROM policy_assignments WHERE session_id = ?');
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO policy_assignments
         (session_id, arm, probability, mode, eps, model_version, reason, assigned_at)
       VALUES (@session_id, @arm, @probability, @mode, @eps, @model_version, @reason, @assigned_at)`,
    );
  }

  get(sessionId: string): Assignment | undefined {
    return this.getStmt.get(sessionId) as Assignment | undefined;
  }

  /**
   * Records an assignment unless the session has one, and returns the stored row: the first
   * assignment of a session wins, so concurrent first requests still agree.
   */
  assignOnce(a: Assignment): Assignment {
    return this.db.transaction(() => {
      this.insertStmt.run(a);
      return this.get(a.session_id)!;
    })();
  }

  /** Labeled jumps and good labels per arm (the telemetry's good-label rates). */
  armEvidence(): Record<PolicyArm, ArmEvidence> {
    const hasLabels = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'labels'")
      .pluck()
      .get();
    const out: Record<PolicyArm, ArmEvidence> = { baseline: { labels: 0, good: 0 }, rl: { labels: 0, good: 0 } };
    if (!hasLabels) return out;
    const rows = this.db
      .prepare(
        `SELECT e.policy_mode AS arm, count(*) AS labels, sum(l.label = 'good') AS good
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id
          WHERE e.policy_mode IN ('baseline', 'rl')
          GROUP BY e.policy_mode`,
      )
      .all() as { arm: PolicyArm; labels: number; good: number }[];
    for (const r of rows) out[r.arm] = { labels: r.labels, good: r.good ?? 0 };
    return out;
  }
}
