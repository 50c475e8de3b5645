import type { Db } from './sqlite.js';

export type RewardSource = 'pending' | 'implicit' | 'label' | 'none';
export type BanditKind = 'jump' | 'dwell';

/** A logged decision as the reward join and the learner read it from jump_events. */
export interface DecisionRow {
  id: number;
  event_id: string;
  session_id: string;
  policy_mode: string | null;
  model_version: string | null;
  target_index: number;
  propensity: number | null;
  client_ts: number | null;
  received_at: number;
  /** JSON text. */
  candidates: string | null;
  /** JSON text. */
  context: string | null;
}

export interface RewardRow {
  decision_id: string;
  event_id: string;
  kind: BanditKind;
  reward: number | null;
  source: RewardSource;
  weight: number;
  detail: string | null;
  updated_at: number;
}

export interface RewardLogEntry {
  seq: number;
  decision_id: string;
  event_id: string;
  kind: BanditKind;
  reward: number | null;
  weight: number;
  prev_reward: number | null;
  prev_weight: number | null;
  source: string;
  logged_at: number;
}

export interface SignalFact {
  kind: string;
  client_ts: number | null;
  ms_since_jump: number | null;
}

export type PolicyStatus = 'active' | 'candidate' | 'retired';

export interface PolicyRow {
  version: string;
  created_at: string;
  status: PolicyStatus;
  first_seq: number;
  last_seq: number;
  rewards: number;
  reason: string;
  /** JSON text of the evaluation behind the promotion decision. */
  evaluation: string | null;
  policy_json: string;
}

export interface EvaluationRow extends DecisionRow {
  decision_id: string;
  kind: BanditKind;
  reward: number;
  source: RewardSource;
}

/** The part of a reward a join pass compares: what it read must still be there when it writes. */
export type RewardState = Pick<RewardRow, 'reward' | 'source' | 'weight' | 'detail'>;

/** One reward write of a join pass: `row` replaces the state the pass read (`expect`; null: no row yet). */
export interface RewardChange {
  expect: RewardState | null;
  row: RewardRow;
}

/** What one join pass writes, computed outside any transaction (src/learn/join.ts). */
export interface JoinChanges {
  /** The last jump_events.id the pass registered (the cursor only moves forward), or null. */
  cursor: number | null;
  /** In order; a decision changed twice in a pass has two changes, the second expecting the first's row. */
  changes: RewardChange[];
}

export interface JoinApplied {
  /** Changes written. */
  applied: number;
  /** Entries appended to the reward log. */
  logged: number;
  /** Changes skipped because the row no longer was what the pass read (the next pass recomputes them). */
  conflicts: number;
}

/** What the implicit rule needs of a decision's event, read for many events at once (joinFacts). */
export interface JoinFacts {
  event_id: string;
  /** Signals linked to the jump (after_jump_event_id), in id order. */
  linked: SignalFact[];
  /** The session logged a decision after this one (client time). */
  reached_next: boolean;
  /** The latest client_ts the session has reported (decisions or signals), or null. */
  horizon: number | null;
}

/** True when the stored reward (or its absence) is the state `expect` names. */
export function sameRewardState(cur: RewardState | undefined | null, expect: RewardState | null): boolean {
  if (!cur || !expect) return !cur && !expect;
  return cur.reward === expect.reward && cur.source === expect.source && cur.weight === expect.weight && cur.detail === expect.detail;
}

/** The reward-log entry of writing `row` over `old`, or null when its value and weight stay (logs once). */
export function rewardLogEntry(old: RewardRow | undefined, row: RewardRow): Omit<RewardLogEntry, 'seq'> | null {
  const before = old && old.reward !== null ? old : null;
  const changed = before === null ? row.reward !== null : before.reward !== row.reward || before.weight !== row.weight;
  if (!changed) return null;
  return {
    decision_id: row.decision_id,
    event_id: row.event_id,
    kind: row.kind,
    reward: row.reward,
    weight: row.reward === null ? 0 : row.weight,
    prev_reward: before?.reward ?? null,
    prev_weight: before?.weight ?? null,
    source: row.source,
    logged_at: row.updated_at,
  };
}

const DECISION_COLUMNS = 'e.id, e.event_id, e.session_id, e.policy_mode, e.model_version, e.target_index, e.propensity, e.client_ts, e.received_at, e.candidates, e.context';

/**
 * The bandit's tables: rewards (one per decision), the append-only reward log the learner consumes,
 * and the published policy versions. Every method is synchronous and atomic on its own; the reward
 * join reads with the others and writes its whole pass with applyJoin (one IMMEDIATE transaction).
 */
export class BanditStore {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly logStmt;
  private readonly signalsAfterStmt;
  private readonly horizonStmt;
  private readonly nextDecisionStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO rewards (decision_id, event_id, kind, reward, source, weight, detail, updated_at)
       VALUES (@decision_id, @event_id, @kind, @reward, @source, @weight, @detail, @updated_at)
       ON CONFLICT (decision_id) DO UPDATE SET reward = excluded.reward, source = excluded.source,
         weight = excluded.weight, detail = excluded.detail, updated_at = excluded.updated_at`,
    );
    this.getStmt = db.prepare('SELECT * FROM rewards WHERE decision_id = ?');
    this.logStmt = db.prepare(
      `INSERT INTO reward_log (decision_id, event_id, kind, reward, weight, prev_reward, prev_weight, source, logged_at)
       VALUES (@decision_id, @event_id, @kind, @reward, @weight, @prev_reward, @prev_weight, @source, @logged_at)`,
    );
    this.signalsAfterStmt = db.prepare('SELECT kind, client_ts, ms_since_jump FROM listener_events WHERE after_jump_event_id = ? ORDER BY id');
    this.horizonStmt = db
      .prepare(
        `SELECT max(t) FROM (SELECT max(client_ts) AS t FROM jump_events WHERE session_id = @s
                             UNION ALL SELECT max(client_ts) FROM listener_events WHERE session_id = @s)`,
      )
      .pluck();
    this.nextDecisionStmt = db
      .prepare('SELECT 1 FROM jump_events WHERE session_id = ? AND client_ts > ? LIMIT 1')
      .pluck();
  }

  /** Jump events after jump_events.id `afterId`, in id order (the reward join's new decisions). */
  decisionsAfter(afterId: number, limit: number): DecisionRow[] {
    return this.db.prepare(`SELECT ${DECISION_COLUMNS} FROM jump_events e WHERE e.id > ? ORDER BY e.id LIMIT ?`).all(afterId, limit) as DecisionRow[];
  }

  joinCursor(): number {
    return this.db.prepare('SELECT last_event FROM reward_cursor WHERE id = 1').pluck().get() as number;
  }

  setJoinCursor(id: number): void {
    this.db.prepare('UPDATE reward_cursor SET last_event = ? WHERE id = 1').run(id);
  }

  getReward(decisionId: string): RewardRow | undefined {
    return this.getStmt.get(decisionId) as RewardRow | undefined;
  }

  /**
   * Writes a decision's reward; when its value or weight changed, appends the change to the reward
   * log (the learner's input). Returns true when the log grew. Idempotent: the same row twice logs once.
   */
  setReward(row: RewardRow): boolean {
    return this.db.transaction(() => {
      const old = this.getReward(row.decision_id);
      this.upsertStmt.run(row);
      const entry = rewardLogEntry(old, row);
      if (entry) this.logStmt.run(entry);
      return entry !== null;
    })();
  }

  /** The stored rewards of these decisions (any order; absent ones are left out). */
  rewardsByIds(ids: readonly string[]): RewardRow[] {
    if (ids.length === 0) return [];
    return this.db.prepare('SELECT * FROM rewards WHERE decision_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as RewardRow[];
  }

  /**
   * Writes one join pass (src/learn/join.ts computed it from reads made outside any transaction) in one
   * IMMEDIATE transaction: each change only when its row is still what the pass read (else it is
   * counted as a conflict and left to the next pass), a change that writes what is there is skipped,
   * the log grows only when a value or weight changed (setReward), and the cursor only moves forward.
   * Running the same changes twice writes nothing the second time.
   */
  applyJoin(j: JoinChanges): JoinApplied {
    return this.db.transaction(() => {
      const out: JoinApplied = { applied: 0, logged: 0, conflicts: 0 };
      for (const c of j.changes) {
        const cur = this.getReward(c.row.decision_id);
        if (!sameRewardState(cur, c.expect)) {
          out.conflicts++;
          continue;
        }
        if (cur && sameRewardState(cur, c.row)) continue;
        if (this.setReward(c.row)) out.logged++;
        out.applied++;
      }
      if (j.cursor !== null) this.db.prepare('UPDATE reward_cursor SET last_event = max(last_event, ?) WHERE id = 1').run(j.cursor);
      return out;
    }).immediate();
  }

  /** Decisions still waiting for their implicit reward, oldest first, with their event. */
  pending(limit: number): (RewardRow & DecisionRow)[] {
    return this.db
      .prepare(
        `SELECT r.*, ${DECISION_COLUMNS} FROM rewards r JOIN jump_events e ON e.event_id = r.event_id
          WHERE r.source = 'pending' ORDER BY e.id LIMIT ?`,
      )
      .all(limit) as (RewardRow & DecisionRow)[];
  }

  /** Signals linked to a jump (after_jump_event_id). */
  signalsAfter(eventId: string): SignalFact[] {
    return this.signalsAfterStmt.all(eventId) as SignalFact[];
  }

  /** The latest client_ts the session has reported (decisions or signals), or null. */
  sessionHorizon(sessionId: string): number | null {
    return (this.horizonStmt.get({ s: sessionId }) as number | null) ?? null;
  }

  /** True when the session logged a decision after client time `ts`. */
  hasLaterDecision(sessionId: string, ts: number): boolean {
    return this.nextDecisionStmt.get(sessionId, ts) !== undefined;
  }

  /**
   * signalsAfter, hasLaterDecision and sessionHorizon of many events in three statements (the join
   * reads them for every pending decision each pass: one round trip per fact would not do on a server).
   * One row per known event, in no particular order.
   */
  joinFacts(eventIds: readonly string[]): JoinFacts[] {
    if (eventIds.length === 0) return [];
    const ids = JSON.stringify(eventIds);
    const events = this.db
      .prepare(
        `SELECT e.event_id, e.session_id,
                e.client_ts IS NOT NULL AND EXISTS (SELECT 1 FROM jump_events n WHERE n.session_id = e.session_id AND n.client_ts > e.client_ts) AS later
           FROM jump_events e WHERE e.event_id IN (SELECT value FROM json_each(?))`,
      )
      .all(ids) as { event_id: string; session_id: string; later: number | null }[];
    const sessions = [...new Set(events.map((e) => e.session_id))];
    const horizon = new Map<string, number | null>();
    for (const r of this.db
      .prepare(
        `SELECT s.value AS session_id, (SELECT max(t) FROM (SELECT max(client_ts) AS t FROM jump_events WHERE session_id = s.value
                                                          UNION ALL SELECT max(client_ts) FROM listener_events WHERE session_id = s.value)) AS horizon
           FROM json_each(?) s`,
      )
      .all(JSON.stringify(sessions)) as { session_id: string; horizon: number | null }[]) {
      horizon.set(r.session_id, r.horizon);
    }
    const linked = new Map<string, SignalFact[]>();
    for (const r of this.db
      .prepare('SELECT after_jump_event_id AS event_id, kind, client_ts, ms_since_jump FROM listener_events WHERE after_jump_event_id IN (SELECT value FROM json_each(?)) ORDER BY id')
      .all(ids) as (SignalFact & { event_id: string })[]) {
      const l = linked.get(r.event_id) ?? [];
      l.push({ kind: r.kind, client_ts: r.client_ts, ms_since_jump: r.ms_since_jump });
      linked.set(r.event_id, l);
    }
    return events.map((e) => ({ event_id: e.event_id, linked: linked.get(e.event_id) ?? [], reached_next: e.later === 1, horizon: horizon.get(e.session_id) ?? null }));
  }

  /** Every labeled event with its labels (latest per labeler), for the label rewards. */
  labelsByEvent(): { event_id: string; labels: string }[] {
    return this.db.prepare('SELECT event_id, group_concat(label) AS labels FROM labels GROUP BY event_id ORDER BY event_id').all() as {
      event_id: string;
      labels: string;
    }[];
  }

  /** Changes whenever a label is added, changed or taken back (a counter kept by triggers on labels). */
  labelsFingerprint(): string {
    return String(this.db.prepare('SELECT n FROM label_changes WHERE id = 1').pluck().get());
  }

  /** Decisions waiting for their implicit reward (indexed count). */
  pendingCount(): number {
    return this.db.prepare("SELECT count(*) FROM rewards WHERE source = 'pending'").pluck().get() as number;
  }

  /** Rewards whose source is a label (to find labels taken back). */
  labelRewards(): RewardRow[] {
    return this.db.prepare("SELECT * FROM rewards WHERE source = 'label'").all() as RewardRow[];
  }

  /** Reward-log entries after `afterSeq` with their decision's event, in seq order. */
  logAfter(afterSeq: number, limit: number): (RewardLogEntry & Pick<DecisionRow, 'target_index' | 'candidates' | 'context'>)[] {
    return this.db
      .prepare(
        `SELECT l.*, e.target_index, e.candidates, e.context FROM reward_log l JOIN jump_events e ON e.event_id = l.event_id
          WHERE l.seq > ? ORDER BY l.seq LIMIT ?`,
      )
      .all(afterSeq, limit) as (RewardLogEntry & Pick<DecisionRow, 'target_index' | 'candidates' | 'context'>)[];
  }

  lastSeq(): number {
    return this.db.prepare('SELECT coalesce(max(seq), 0) FROM reward_log').pluck().get() as number;
  }

  /** Decisions with a known reward, newest first (at most `limit`), optionally received since `sinceMs`. */
  evaluationRows(opts: { limit: number; sinceMs?: number }): EvaluationRow[] {
    return this.db
      .prepare(
        `SELECT r.decision_id, r.kind, r.reward, r.source, ${DECISION_COLUMNS} FROM rewards r JOIN jump_events e ON e.event_id = r.event_id
          WHERE r.reward IS NOT NULL AND e.received_at >= @since ORDER BY e.id DESC, r.kind LIMIT @limit`,
      )
      .all({ since: opts.sinceMs ?? 0, limit: opts.limit }) as EvaluationRow[];
  }

  /** Reward counts by kind and source (telemetry, status). */
  rewardCounts(): { kind: string; source: string; count: number; mean: number | null }[] {
    return this.db
      .prepare('SELECT kind, source, count(*) AS count, avg(reward) AS mean FROM rewards GROUP BY kind, source ORDER BY kind, source')
      .all() as { kind: string; source: string; count: number; mean: number | null }[];
  }

  /**
   * Decisions with a reward (label or implicit) and their mean reward, per session arm and decision kind
   * (the /metrics policy series). Events still in the ingest inbox have no reward yet, so the merged
   * table is all this needs.
   */
  rewardsByArm(): { arm: string; kind: string; count: number; mean: number }[] {
    return this.db
      .prepare(
        `SELECT coalesce(j.policy_mode, 'none') AS arm, r.kind AS kind, count(*) AS count, avg(r.reward) AS mean
           FROM rewards r JOIN jump_events j ON j.event_id = r.event_id
          WHERE r.source IN ('implicit', 'label')
          GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .all() as { arm: string; kind: string; count: number; mean: number }[];
  }

  insertPolicy(row: PolicyRow): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO bandit_policies (version, created_at, status, first_seq, last_seq, rewards, reason, evaluation, policy_json)
         VALUES (@version, @created_at, @status, @first_seq, @last_seq, @rewards, @reason, @evaluation, @policy_json)`,
      )
      .run(row);
  }

  /** Makes `version` the only active policy (the previous active one is retired). */
  activate(version: string, reason: string): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE bandit_policies SET status = 'retired' WHERE status = 'active' AND version <> ?").run(version);
      this.db.prepare("UPDATE bandit_policies SET status = 'active', reason = ? WHERE version = ?").run(reason, version);
    })();
  }

  setPolicyVerdict(version: string, reason: string, evaluation: string | null): void {
    this.db.prepare('UPDATE bandit_policies SET reason = ?, evaluation = ? WHERE version = ?').run(reason, evaluation, version);
  }

  activePolicy(): PolicyRow | undefined {
    return this.db.prepare("SELECT * FROM bandit_policies WHERE status = 'active'").get() as PolicyRow | undefined;
  }

  /** The active policy's version alone (versions never change content): what a follower polls. */
  activePolicyVersion(): string | null {
    return (this.db.prepare("SELECT version FROM bandit_policies WHERE status = 'active'").pluck().get() as string | undefined) ?? null;
  }

  /** The newest candidate (not active) policy. */
  latestCandidate(): PolicyRow | undefined {
    return this.db.prepare("SELECT * FROM bandit_policies WHERE status = 'candidate' ORDER BY last_seq DESC LIMIT 1").get() as PolicyRow | undefined;
  }

  policies(limit = 50): PolicyRow[] {
    return this.db.prepare('SELECT * FROM bandit_policies ORDER BY last_seq DESC, created_at DESC LIMIT ?').all(limit) as PolicyRow[];
  }

  /** Deletes the derived tables (rewards, reward log, policies) so `bandit replay` can rebuild them. */
  reset(opts: { rewards: boolean }): void {
    this.db.transaction(() => {
      if (opts.rewards) {
        this.db.exec('DELETE FROM rewards; DELETE FROM reward_log; UPDATE reward_cursor SET last_event = 0 WHERE id = 1;');
      }
      this.db.exec('DELETE FROM bandit_policies;');
    })();
  }
}
