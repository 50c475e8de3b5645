import type { JumpEvent, ListenerSignal, RejectedEvent } from '../../shared/jump-event.js';
import { MAX_RAW_REJECTED_CHARS } from '../../shared/jump-event.js';
import { EVENT_COLUMNS, SIGNAL_COLUMNS, eventParams } from '../event-row.js';
import type { Assignment } from '../policy.js';
import type { PgClient, PgPool } from './pool.js';

/**
 * The ingest's statements on PostgreSQL. Events go straight into jump_events: ON CONFLICT (event_id)
 * DO NOTHING makes a duplicate sent to two nodes at once one row (the unique index decides, under
 * concurrency too). All run inside the caller's transaction (`c`), so one COMMIT makes a group durable.
 */

/** Rows per INSERT: PostgreSQL takes at most 65 535 parameters per statement. */
const ROWS_PER_INSERT = Math.floor(60_000 / EVENT_COLUMNS.length);
/** Bytes a dead letter costs besides its text, as in the SQLite store. */
const DEAD_LETTER_OVERHEAD = 64;

function valuesClause(rows: number, width: number, offset = 0): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const marks: string[] = [];
    for (let k = 0; k < width; k++) marks.push(`$${offset + r * width + k + 1}`);
    out.push(`(${marks.join(', ')})`);
  }
  return out.join(', ');
}

/** PostgreSQL text cannot hold U+0000 (SQLite's can): stored as U+FFFD. */
const portable = (v: unknown) => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

/** Inserts the events; returns the ids this call stored (the others were stored already, by any node). */
export async function insertEvents(c: PgClient, events: readonly JumpEvent[], opts: { inOrder?: boolean } = {}): Promise<Set<string>> {
  const stored = new Set<string>();
  // The ingest inserts in event_id order: two nodes inserting overlapping batches (a client's retry
  // reached both) then take the unique index's row locks in one order and wait for each other instead
  // of deadlocking (40P01); the SQLite inbox merge sorts its chunks the same way. `inOrder` keeps the
  // given order (insertMany of tools and tests, as SQLite's insertMany does).
  const sorted = opts.inOrder ? events : [...events].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  for (let i = 0; i < sorted.length; i += ROWS_PER_INSERT) {
    const chunk = sorted.slice(i, i + ROWS_PER_INSERT);
    const params = chunk.flatMap((e) => eventParams(e).map(portable));
    const r = await c.query<{ event_id: string }>(
      `INSERT INTO jump_events (${EVENT_COLUMNS.join(', ')}) VALUES ${valuesClause(chunk.length, EVENT_COLUMNS.length)}
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      params,
    );
    for (const row of r.rows) stored.add(row.event_id);
  }
  return stored;
}

/** How each event column is read from an event's JSON line (its JSON type, then the cast to the column). */
const LINE_COLUMNS: Record<(typeof EVENT_COLUMNS)[number], { json: string; select?: string }> = {
  event_id: { json: 'text' }, session_id: { json: 'text' }, track_id: { json: 'text' }, track_title: { json: 'text' },
  mode: { json: 'text' }, source_index: { json: 'bigint' }, target_index: { json: 'bigint' },
  source_time: { json: 'double precision' }, target_time: { json: 'double precision' }, similarity: { json: 'double precision' },
  span: { json: 'bigint' },
  // Booleans as 0/1 and free-form objects as their JSON text, as the SQLite store keeps them.
  same_section: { json: 'boolean', select: 'x.same_section::int' },
  policy_mode: { json: 'text' }, model_version: { json: 'text' }, quality_score: { json: 'double precision' },
  propensity: { json: 'double precision' },
  candidates: { json: 'json', select: 'x.candidates::text' }, settings: { json: 'json', select: 'x.settings::text' },
  context: { json: 'json', select: 'x.context::text' },
  client_ts: { json: 'double precision' }, received_at: { json: 'bigint' },
};
const LINE_RECORD = EVENT_COLUMNS.map((c) => `${c} ${LINE_COLUMNS[c].json}`).join(', ');
const LINE_SELECT = EVENT_COLUMNS.map((c) => LINE_COLUMNS[c].select ?? `x.${c}`).join(', ');

/**
 * Inserts events given as their validated JSON lines (the mirror lines), as one JSON parameter that
 * PostgreSQL unpacks (json_to_recordset): no parse and no 21 parameters per event on the node. Returns the
 * ids this call stored. Lines with a \u0000 escape (TEXT cannot hold U+0000) take the parsed path.
 */
export async function insertEventLines(c: PgClient, lines: readonly string[]): Promise<Set<string>> {
  if (lines.some((l) => l.includes('\\u0000'))) return insertEvents(c, lines.map((l) => JSON.parse(l) as JumpEvent));
  if (lines.length === 0) return new Set();
  const r = await c.query<{ event_id: string }>(
    `INSERT INTO jump_events (${EVENT_COLUMNS.join(', ')})
     SELECT ${LINE_SELECT} FROM json_to_recordset($1::json) AS x(${LINE_RECORD})
     -- In event_id order, as insertEvents: overlapping batches of two nodes never deadlock.
     ORDER BY x.event_id COLLATE "C"
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [`[${lines.join(',')}]`],
  );
  return new Set(r.rows.map((row) => row.event_id));
}

/** Inserts listener signals unless their signal_id is stored; returns how many were new. */
export async function insertSignals(c: PgClient, signals: readonly ListenerSignal[]): Promise<number> {
  if (signals.length === 0) return 0;
  const per = Math.floor(60_000 / SIGNAL_COLUMNS.length);
  let n = 0;
  // In signal_id order, for the same reason as events.
  const sorted = [...signals].sort((a, b) => (a.signal_id < b.signal_id ? -1 : a.signal_id > b.signal_id ? 1 : 0));
  for (let i = 0; i < sorted.length; i += per) {
    const chunk = sorted.slice(i, i + per);
    const params = chunk.flatMap((s) => SIGNAL_COLUMNS.map((k) => portable(s[k])));
    const r = await c.query(
      `INSERT INTO listener_events (${SIGNAL_COLUMNS.join(', ')}) VALUES ${valuesClause(chunk.length, SIGNAL_COLUMNS.length)}
       ON CONFLICT (signal_id) DO NOTHING`,
      params,
    );
    n += r.rowCount ?? 0;
  }
  return n;
}

/**
 * Stores the dead letters, then drops the oldest ones beyond `maxBytes` (newest kept, counted over all
 * nodes' letters); returns how many were dropped.
 */
export async function insertRejected(c: PgClient, letters: readonly RejectedEvent[], maxBytes: number): Promise<number> {
  if (letters.length === 0) return 0;
  const params: unknown[] = [];
  for (const r of letters) {
    const raw = r.raw === null ? null : (portable(r.raw.slice(0, MAX_RAW_REJECTED_CHARS)) as string);
    const detail = r.detail === null ? null : (portable(r.detail) as string);
    const bytes = DEAD_LETTER_OVERHEAD + Buffer.byteLength(r.reason) + (detail === null ? 0 : Buffer.byteLength(detail)) + (raw === null ? 0 : Buffer.byteLength(raw));
    params.push(r.received_at, r.reason, detail, raw, r.items ?? 1, bytes);
  }
  await c.query(`INSERT INTO rejected_events (received_at, reason, detail, raw, items, bytes) VALUES ${valuesClause(letters.length, 6)}`, params);
  const dropped = await c.query(
    `DELETE FROM rejected_events WHERE id IN (
       SELECT id FROM (SELECT id, sum(bytes) OVER (ORDER BY id DESC) AS kept FROM rejected_events) newest_first
        WHERE kept > $1)`,
    [maxBytes],
  );
  return dropped.rowCount ?? 0;
}

/** This node's mirror cursor: how much of its JSONL mirror is committed here, and which file it was. */
export async function mirrorCursor(pool: PgPool, nodeId: string): Promise<{ bytes: number; fileId: string | null }> {
  const r = await pool.query<{ committed_bytes: number; file_id: string | null }>('SELECT committed_bytes, file_id FROM mirror_cursors WHERE node_id = $1', [nodeId]);
  return r.rows[0] ? { bytes: r.rows[0].committed_bytes, fileId: r.rows[0].file_id } : { bytes: 0, fileId: null };
}

export async function setMirrorCursor(c: PgClient | PgPool, nodeId: string, bytes: number, fileId: string): Promise<void> {
  await c.query(
    `INSERT INTO mirror_cursors (node_id, committed_bytes, file_id) VALUES ($1, $2, $3)
     ON CONFLICT (node_id) DO UPDATE SET committed_bytes = excluded.committed_bytes, file_id = excluded.file_id`,
    [nodeId, bytes, fileId],
  );
}

/** Rewrites this node's cursor row unchanged: a real write (health), that moves nothing. */
export async function touchMirrorCursor(pool: PgPool, nodeId: string): Promise<void> {
  await pool.query('UPDATE mirror_cursors SET committed_bytes = committed_bytes WHERE node_id = $1', [nodeId]);
}

/** The session's assignment: this one when it is the first, else the one stored first (by any node). */
export async function assignOnce(pool: PgPool, a: Assignment): Promise<Assignment> {
  const r = await pool.query<Assignment>(
    `WITH ins AS (
       INSERT INTO policy_assignments (session_id, arm, probability, mode, eps, model_version, reason, assigned_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (session_id) DO NOTHING RETURNING *)
     SELECT * FROM ins UNION ALL SELECT * FROM policy_assignments WHERE session_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    [a.session_id, a.arm, a.probability, a.mode, a.eps, a.model_version, a.reason, a.assigned_at],
  );
  if (r.rows[0]) return r.rows[0];
  // Another node inserted the session concurrently: ON CONFLICT waited for its commit, but this
  // statement's snapshot predates it. A new statement sees it.
  const other = await pool.query<Assignment>('SELECT * FROM policy_assignments WHERE session_id = $1', [a.session_id]);
  return other.rows[0]!;
}
