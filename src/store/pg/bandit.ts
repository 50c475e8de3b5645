import type { BanditApi } from '../api.js';
import {
  rewardLogEntry,
  sameRewardState,
  type DecisionRow,
  type EvaluationRow,
  type JoinApplied,
  type JoinChanges,
  type JoinFacts,
  type PolicyRow,
  type RewardLogEntry,
  type RewardRow,
  type SignalFact,
} from '../bandit.js';
import { committedMaxEventId } from './barrier.js';
import { checkFence, type LeaderFence } from './leader.js';
import { pgTransaction, type PgClient, type PgPool } from './pool.js';

const DECISION_COLUMNS = 'e.id, e.event_id, e.session_id, e.policy_mode, e.model_version, e.target_index, e.propensity, e.client_ts, e.received_at, e.candidates, e.context';

/**
 * Every writer of the reward log holds this transaction-level advisory lock (an arbitrary constant):
 * seq is an identity, and two transactions committing out of seq order would let the learner read
 * seq n+1 before n exists and skip n for ever (it reads `seq > lastSeq`). One writer at a time keeps the
 * log's commit order its seq order; it also makes read-compare-write of a reward atomic.
 */
const REWARD_LOG_LOCK = 0x726c5f726577; // "rl_rew"
/** Serializes activations (two nodes promoting at once must still leave one active row). */
const POLICY_LOCK = 0x726c5f706f6c; // "rl_pol"

type Q = PgClient | PgPool;

async function getReward(q: Q, decisionId: string): Promise<RewardRow | undefined> {
  return (await q.query<RewardRow>('SELECT * FROM rewards WHERE decision_id = $1', [decisionId])).rows[0];
}

/** setReward's body on a client that holds REWARD_LOG_LOCK. */
async function setRewardOn(c: PgClient, row: RewardRow): Promise<boolean> {
  const old = await getReward(c, row.decision_id);
  await c.query(
    `INSERT INTO rewards (decision_id, event_id, kind, reward, source, weight, detail, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (decision_id) DO UPDATE SET reward = excluded.reward, source = excluded.source,
       weight = excluded.weight, detail = excluded.detail, updated_at = excluded.updated_at`,
    [row.decision_id, row.event_id, row.kind, row.reward, row.source, row.weight, row.detail, row.updated_at],
  );
  const e = rewardLogEntry(old, row);
  if (!e) return false;
  await c.query(
    `INSERT INTO reward_log (decision_id, event_id, kind, reward, weight, prev_reward, prev_weight, source, logged_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.decision_id, e.event_id, e.kind, e.reward, e.weight, e.prev_reward, e.prev_weight, e.source, e.logged_at],
  );
  return true;
}

const lockLog = (c: PgClient) => c.query('SELECT pg_advisory_xact_lock($1)', [REWARD_LOG_LOCK]);

/**
 * The bandit's tables on PostgreSQL, the same semantics as src/store/bandit.ts. With a `fence` (the
 * learner's election lock), activations are refused once this node no longer holds it.
 */
export function pgBandit(pool: PgPool, fence?: LeaderFence): BanditApi {
  const rows = async <T extends object>(sql: string, params: unknown[] = []): Promise<T[]> => (await pool.query<T>(sql, params)).rows;
  return {
    // Only up to the committed-id barrier: the join cursor moves to the last id returned, and an event of
    // another ingest node still committing below it would otherwise never become a decision.
    decisionsAfter: async (afterId: number, limit: number) =>
      rows<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM jump_events e WHERE e.id > $1 AND e.id <= $3 ORDER BY e.id LIMIT $2`, [afterId, limit, await committedMaxEventId(pool)]),

    async joinCursor() {
      return (await rows<{ last_event: number }>('SELECT last_event FROM reward_cursor WHERE id = 1'))[0]!.last_event;
    },

    async setJoinCursor(id: number) {
      await pool.query('UPDATE reward_cursor SET last_event = $1 WHERE id = 1', [id]);
    },

    getReward: (decisionId: string) => getReward(pool, decisionId),

    setReward: (row: RewardRow) =>
      pgTransaction(pool, async (c) => {
        await lockLog(c);
        return setRewardOn(c, row);
      }),

    rewardsByIds: (ids: readonly string[]) => (ids.length === 0 ? Promise.resolve([]) : rows<RewardRow>('SELECT * FROM rewards WHERE decision_id = ANY($1::text[])', [ids])),

    // The same decisions as SQLite's applyJoin, in a fixed number of statements (a pass may hold thousands
    // of changes): read the rows once, apply the changes in order in memory, write the final rows and the
    // log entries (in change order: identity values follow the ORDER BY of the INSERT's SELECT).
    applyJoin: (j: JoinChanges) =>
      pgTransaction(pool, async (c): Promise<JoinApplied> => {
        await lockLog(c);
        const out: JoinApplied = { applied: 0, logged: 0, conflicts: 0 };
        const ids = [...new Set(j.changes.map((ch) => ch.row.decision_id))];
        const state = new Map<string, RewardRow>();
        if (ids.length > 0) for (const r of (await c.query<RewardRow>('SELECT * FROM rewards WHERE decision_id = ANY($1::text[])', [ids])).rows) state.set(r.decision_id, r);
        const written = new Map<string, RewardRow>();
        const log: Omit<RewardLogEntry, 'seq'>[] = [];
        for (const ch of j.changes) {
          const cur = state.get(ch.row.decision_id);
          if (!sameRewardState(cur, ch.expect)) {
            out.conflicts++;
            continue;
          }
          if (cur && sameRewardState(cur, ch.row)) continue;
          const e = rewardLogEntry(cur, ch.row);
          if (e) {
            log.push(e);
            out.logged++;
          }
          state.set(ch.row.decision_id, ch.row);
          written.set(ch.row.decision_id, ch.row);
          out.applied++;
        }
        if (written.size > 0) {
          await c.query(
            `INSERT INTO rewards (decision_id, event_id, kind, reward, source, weight, detail, updated_at)
             SELECT decision_id, event_id, kind, reward, source, weight, detail, updated_at
               FROM json_to_recordset($1::json) AS x(decision_id text, event_id text, kind text, reward float8, source text, weight float8, detail text, updated_at int8)
             ON CONFLICT (decision_id) DO UPDATE SET reward = excluded.reward, source = excluded.source,
               weight = excluded.weight, detail = excluded.detail, updated_at = excluded.updated_at`,
            [JSON.stringify([...written.values()])],
          );
        }
        if (log.length > 0) {
          await c.query(
            `INSERT INTO reward_log (decision_id, event_id, kind, reward, weight, prev_reward, prev_weight, source, logged_at)
             SELECT e->>'decision_id', e->>'event_id', e->>'kind', (e->>'reward')::float8, (e->>'weight')::float8,
                    (e->>'prev_reward')::float8, (e->>'prev_weight')::float8, e->>'source', (e->>'logged_at')::int8
               FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, n)
              ORDER BY n`,
            [JSON.stringify(log)],
          );
        }
        if (j.cursor !== null) await c.query('UPDATE reward_cursor SET last_event = GREATEST(last_event, $1) WHERE id = 1', [j.cursor]);
        return out;
      }),

    pending: (limit: number) =>
      rows<RewardRow & DecisionRow>(
        `SELECT r.*, ${DECISION_COLUMNS} FROM rewards r JOIN jump_events e ON e.event_id = r.event_id
          WHERE r.source = 'pending' ORDER BY e.id LIMIT $1`,
        [limit],
      ),

    signalsAfter: (eventId: string) => rows<SignalFact>('SELECT kind, client_ts, ms_since_jump FROM listener_events WHERE after_jump_event_id = $1 ORDER BY id', [eventId]),

    async sessionHorizon(sessionId: string) {
      const r = await rows<{ t: number | null }>(
        `SELECT max(t) AS t FROM (SELECT max(client_ts) AS t FROM jump_events WHERE session_id = $1
                                  UNION ALL SELECT max(client_ts) FROM listener_events WHERE session_id = $1) x`,
        [sessionId],
      );
      return r[0]?.t ?? null;
    },

    async hasLaterDecision(sessionId: string, ts: number) {
      return (await rows('SELECT 1 FROM jump_events WHERE session_id = $1 AND client_ts > $2 LIMIT 1', [sessionId, ts])).length > 0;
    },

    async joinFacts(eventIds: readonly string[]) {
      if (eventIds.length === 0) return [];
      const events = await rows<{ event_id: string; session_id: string; later: boolean }>(
        `SELECT e.event_id, e.session_id,
                e.client_ts IS NOT NULL AND EXISTS (SELECT 1 FROM jump_events n WHERE n.session_id = e.session_id AND n.client_ts > e.client_ts) AS later
           FROM jump_events e WHERE e.event_id = ANY($1::text[])`,
        [eventIds],
      );
      const sessions = [...new Set(events.map((e) => e.session_id))];
      const horizon = new Map<string, number | null>();
      for (const r of await rows<{ session_id: string; horizon: number | null }>(
        `SELECT s AS session_id, greatest((SELECT max(client_ts) FROM jump_events WHERE session_id = s),
                                          (SELECT max(client_ts) FROM listener_events WHERE session_id = s)) AS horizon
           FROM unnest($1::text[]) s`,
        [sessions],
      )) {
        horizon.set(r.session_id, r.horizon);
      }
      const linked = new Map<string, SignalFact[]>();
      for (const r of await rows<SignalFact & { event_id: string }>(
        'SELECT after_jump_event_id AS event_id, kind, client_ts, ms_since_jump FROM listener_events WHERE after_jump_event_id = ANY($1::text[]) ORDER BY id',
        [eventIds],
      )) {
        const l = linked.get(r.event_id) ?? [];
        l.push({ kind: r.kind, client_ts: r.client_ts, ms_since_jump: r.ms_since_jump });
        linked.set(r.event_id, l);
      }
      return events.map((e): JoinFacts => ({ event_id: e.event_id, linked: linked.get(e.event_id) ?? [], reached_next: e.later, horizon: horizon.get(e.session_id) ?? null }));
    },

    labelsByEvent: () =>
      rows<{ event_id: string; labels: string }>(`SELECT event_id, string_agg(label, ',' ORDER BY id) AS labels FROM labels GROUP BY event_id ORDER BY event_id COLLATE "C"`),

    async labelsFingerprint() {
      return String((await rows<{ n: number }>('SELECT n FROM label_changes WHERE id = 1'))[0]!.n);
    },

    async pendingCount() {
      return (await rows<{ n: number }>("SELECT count(*) AS n FROM rewards WHERE source = 'pending'"))[0]!.n;
    },

    labelRewards: () => rows<RewardRow>("SELECT * FROM rewards WHERE source = 'label'"),

    logAfter: (afterSeq: number, limit: number) =>
      rows<RewardLogEntry & Pick<DecisionRow, 'target_index' | 'candidates' | 'context'>>(
        `SELECT l.*, e.target_index, e.candidates, e.context FROM reward_log l JOIN jump_events e ON e.event_id = l.event_id
          WHERE l.seq > $1 ORDER BY l.seq LIMIT $2`,
        [afterSeq, limit],
      ),

    async lastSeq() {
      return (await rows<{ s: number }>('SELECT coalesce(max(seq), 0) AS s FROM reward_log'))[0]!.s;
    },

    evaluationRows: (opts: { limit: number; sinceMs?: number }) =>
      rows<EvaluationRow>(
        `SELECT r.decision_id, r.kind, r.reward, r.source, ${DECISION_COLUMNS} FROM rewards r JOIN jump_events e ON e.event_id = r.event_id
          WHERE r.reward IS NOT NULL AND e.received_at >= $1 ORDER BY e.id DESC, r.kind COLLATE "C" LIMIT $2`,
        [opts.sinceMs ?? 0, opts.limit],
      ),

    rewardCounts: () =>
      rows<{ kind: string; source: string; count: number; mean: number | null }>(
        'SELECT kind, source, count(*) AS count, avg(reward)::float8 AS mean FROM rewards GROUP BY kind, source ORDER BY kind COLLATE "C", source COLLATE "C"',
      ),

    rewardsByArm: () =>
      rows<{ arm: string; kind: string; count: number; mean: number }>(
        `SELECT coalesce(j.policy_mode, 'none') AS arm, r.kind AS kind, count(*) AS count, avg(r.reward)::float8 AS mean
           FROM rewards r JOIN jump_events j ON j.event_id = r.event_id
          WHERE r.source IN ('implicit', 'label')
          GROUP BY 1, 2 ORDER BY coalesce(j.policy_mode, 'none') COLLATE "C", r.kind COLLATE "C"`,
      ),

    async insertPolicy(row: PolicyRow) {
      await pool.query(
        `INSERT INTO bandit_policies (version, created_at, status, first_seq, last_seq, rewards, reason, evaluation, policy_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (version) DO NOTHING`,
        [row.version, row.created_at, row.status, row.first_seq, row.last_seq, row.rewards, row.reason, row.evaluation, row.policy_json],
      );
    },

    activate: (version: string, reason: string) =>
      pgTransaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [POLICY_LOCK]);
        if (fence) await checkFence(c, fence, `activating ${version}`);
        await c.query("UPDATE bandit_policies SET status = 'retired' WHERE status = 'active' AND version <> $1", [version]);
        await c.query("UPDATE bandit_policies SET status = 'active', reason = $1 WHERE version = $2", [reason, version]);
      }),

    async setPolicyVerdict(version: string, reason: string, evaluation: string | null) {
      await pool.query('UPDATE bandit_policies SET reason = $1, evaluation = $2 WHERE version = $3', [reason, evaluation, version]);
    },

    async activePolicy() {
      return (await rows<PolicyRow>("SELECT * FROM bandit_policies WHERE status = 'active'"))[0];
    },

    async activePolicyVersion() {
      return (await rows<{ version: string }>("SELECT version FROM bandit_policies WHERE status = 'active'"))[0]?.version ?? null;
    },

    async latestCandidate() {
      return (await rows<PolicyRow>("SELECT * FROM bandit_policies WHERE status = 'candidate' ORDER BY last_seq DESC LIMIT 1"))[0];
    },

    policies: (limit = 50) => rows<PolicyRow>('SELECT * FROM bandit_policies ORDER BY last_seq DESC, created_at COLLATE "C" DESC LIMIT $1', [limit]),

    reset: (opts: { rewards: boolean }) =>
      pgTransaction(pool, async (c) => {
        await lockLog(c);
        if (opts.rewards) {
          await c.query('DELETE FROM rewards');
          await c.query('DELETE FROM reward_log');
          await c.query('UPDATE reward_cursor SET last_event = 0 WHERE id = 1');
        }
        await c.query('DELETE FROM bandit_policies');
      }),
  };
}
