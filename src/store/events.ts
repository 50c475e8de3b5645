import type { Db } from './sqlite.js';
import type { JumpEvent, RejectedEvent } from '../shared/jump-event.js';
import { MAX_RAW_REJECTED_CHARS } from '../shared/jump-event.js';

const COLUMNS = [
  'event_id', 'session_id', 'track_id', 'track_title', 'mode', 'source_index', 'target_index',
  'source_time', 'target_time', 'similarity', 'span', 'same_section', 'policy_mode', 'model_version',
  'quality_score', 'propensity', 'candidates', 'settings', 'context', 'client_ts', 'received_at',
] as const;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** Positional parameters of one row, in COLUMNS order (free-form objects as JSON text). */
function params(e: JumpEvent): unknown[] {
  return [
    e.event_id, e.session_id, e.track_id, e.track_title, e.mode, e.source_index, e.target_index,
    e.source_time, e.target_time, e.similarity, e.span,
    e.same_section === null ? null : e.same_section ? 1 : 0,
    e.policy_mode, e.model_version, e.quality_score, e.propensity,
    json(e.candidates), json(e.settings), json(e.context), e.client_ts, e.received_at,
  ];
}

interface EventRow extends Omit<JumpEvent, 'same_section' | 'candidates' | 'settings' | 'context'> {
  same_section: number | null;
  candidates: string | null;
  settings: string | null;
  context: string | null;
}

function fromRow(r: EventRow): JumpEvent {
  return {
    ...r,
    same_section: r.same_section === null ? null : r.same_section === 1,
    candidates: r.candidates === null ? null : JSON.parse(r.candidates),
    settings: r.settings === null ? null : JSON.parse(r.settings),
    context: r.context === null ? null : JSON.parse(r.context),
  } as JumpEvent;
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
}

/**
 * jump_events and rejected_events. Statements are prepared once; every method is synchronous and
 * callers compose them inside `db.transaction` (never awaiting inside one).
 */
export class EventStore {
  private readonly insertStmt;
  private readonly insertRejectedStmt;
  private readonly existsStmt;
  private readonly getStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO jump_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    );
    this.insertRejectedStmt = db.prepare(
      'INSERT INTO rejected_events (received_at, reason, detail, raw) VALUES (?, ?, ?, ?)',
    );
    this.existsStmt = db.prepare('SELECT 1 FROM jump_events WHERE event_id = ?').pluck();
    this.getStmt = db.prepare(`SELECT ${COLUMNS.join(', ')} FROM jump_events WHERE event_id = ?`);
  }

  /** Inserts one event unless its event_id is stored already; true when it was new. */
  insert(e: JumpEvent): boolean {
    return this.insertStmt.run(params(e)).changes === 1;
  }

  insertRejected(r: RejectedEvent): void {
    const raw = r.raw === null ? null : r.raw.slice(0, MAX_RAW_REJECTED_CHARS);
    this.insertRejectedStmt.run(r.received_at, r.reason, r.detail, raw);
  }

  exists(eventId: string): boolean {
    return this.existsStmt.get(eventId) !== undefined;
  }

  get(eventId: string): JumpEvent | undefined {
    const row = this.getStmt.get(eventId) as EventRow | undefined;
    return row && fromRow(row);
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM jump_events').pluck().get() as number;
  }

  /** Inserts a batch in one transaction; duplicates (already stored or repeated) are ignored. */
  insertMany(events: readonly JumpEvent[]): InsertResult {
    return this.db.transaction((batch: readonly JumpEvent[]) => {
      let inserted = 0;
      for (const e of batch) if (this.insert(e)) inserted++;
      return { inserted, duplicates: batch.length - inserted };
    })(events);
  }

  /** Deletes every jump event (replay rebuilds the table from the JSONL mirror in the same transaction). */
  deleteAll(): number {
    return this.db.prepare('DELETE FROM jump_events').run().changes;
  }

  /** Streams every stored event in arrival order. */
  *iterate(): IterableIterator<JumpEvent> {
    const stmt = this.db.prepare(`SELECT ${COLUMNS.join(', ')} FROM jump_events ORDER BY id`);
    for (const row of stmt.iterate() as IterableIterator<EventRow>) yield fromRow(row);
  }
}
