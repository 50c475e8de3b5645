import { INBOX_ARRAY } from './events.js';
import type { Db } from './sqlite.js';

export interface ArmCounts {
  arm: string;
  events: number;
  sessions: number;
  /** Sessions this arm should have by the probabilities recorded at assignment. */
  expected_sessions: number;
}

/** Read-only aggregate queries behind `/api/rl/telemetry` and `harmonizer telemetry`. */
export class TelemetryStore {
  constructor(private readonly db: Db) {}

  totals(): { events: number; rejected: number; sessions: number } {
    return this.db
      .prepare(
        `SELECT (SELECT count(*) FROM jump_events) + (SELECT coalesce(sum(events), 0) FROM jump_events_inbox) AS events,
                (SELECT coalesce(sum(items), 0) FROM rejected_events) AS rejected,
                (SELECT count(*) FROM policy_assignments) AS sessions`,
      )
      .get() as { events: number; rejected: number; sessions: number };
  }

  /**
   * Events and sessions per arm. Events without an arm count under "none". The expected session
   * count of arm a sums, over sessions, the probability that a session was drawn into a: p for the
   * arm it got, 1 - p for the other (two arms).
   */
  perArm(): ArmCounts[] {
    const events = this.db
      .prepare(
        `SELECT coalesce(policy_mode, 'none') AS arm, count(*) AS n
           FROM (SELECT policy_mode FROM jump_events
                 UNION ALL
                 -- Events not merged yet: one inbox row holds a group commit's lines.
                 SELECT e.value ->> '$.policy_mode'
                   FROM jump_events_inbox, json_each(${INBOX_ARRAY}) e)
          GROUP BY 1`,
      )
      .all() as { arm: string; n: number }[];
    const arms = new Map<string, ArmCounts>();
    for (const a of this.sessionSplit()) arms.set(a.arm, { ...a, events: 0 });
    for (const e of events) {
      const a = arms.get(e.arm);
      if (a) a.events = e.n;
      else arms.set(e.arm, { arm: e.arm, events: e.n, sessions: 0, expected_sessions: 0 });
    }
    return [...arms.values()];
  }

  /**
   * Sessions per arm, observed and expected (the sample-ratio test's input), from the assignments
   * alone: cheap at any number of events.
   */
  sessionSplit(): { arm: 'baseline' | 'rl'; sessions: number; expected_sessions: number }[] {
    const sessions = this.db
      .prepare('SELECT arm, count(*) AS n, sum(probability) AS p, sum(1 - probability) AS q FROM policy_assignments GROUP BY arm')
      .all() as { arm: 'baseline' | 'rl'; n: number; p: number; q: number }[];
    const arms = new Map<string, { arm: 'baseline' | 'rl'; sessions: number; expected_sessions: number }>([
      ['baseline', { arm: 'baseline', sessions: 0, expected_sessions: 0 }],
      ['rl', { arm: 'rl', sessions: 0, expected_sessions: 0 }],
    ]);
    for (const s of sessions) {
      arms.get(s.arm)!.sessions = s.n;
      arms.get(s.arm)!.expected_sessions += s.p;
      arms.get(s.arm === 'rl' ? 'baseline' : 'rl')!.expected_sessions += s.q;
    }
    return [...arms.values()];
  }

  /**
   * Sessions that sent at least one jump event or listener signal, per arm ("none" for events of no
   * assigned session). An assignment alone (a page that asked for its arm and never played) is not one.
   */
  sessionsWithEvents(): { arm: string; sessions: number }[] {
    return this.db
      .prepare(
        `WITH active AS (
           SELECT session_id FROM jump_events
           UNION SELECT e.value ->> '$.session_id' FROM jump_events_inbox, json_each(${INBOX_ARRAY}) e
           UNION SELECT session_id FROM listener_events)
         SELECT coalesce(a.arm, 'none') AS arm, count(*) AS sessions
           FROM active s LEFT JOIN policy_assignments a ON a.session_id = s.session_id
          GROUP BY 1 ORDER BY 1`,
      )
      .all() as { arm: string; sessions: number }[];
  }

  rejectedByReason(): { reason: string; count: number }[] {
    return this.db
      .prepare('SELECT reason, sum(items) AS count FROM rejected_events GROUP BY reason ORDER BY count DESC, reason')
      .all() as { reason: string; count: number }[];
  }

  /** Events received since `sinceMs` (ms epoch), for the ingest rate. */
  eventsSince(sinceMs: number): number {
    return this.db
      .prepare(
        `SELECT (SELECT count(*) FROM jump_events WHERE received_at >= @since)
              + (SELECT count(*) FROM jump_events_inbox, json_each(${INBOX_ARRAY}) e
                  -- An inbox row's events arrived within milliseconds of its received_at (the
                  -- earliest): older rows are skipped without being expanded.
                  WHERE jump_events_inbox.received_at >= @since - 60000 AND e.value ->> '$.received_at' >= @since)`,
      )
      .pluck()
      .get({ since: sinceMs }) as number;
  }
}
