import type { Db } from './sqlite.js';
import type { JumpEvent, ListenerSignal, RejectedEvent } from '../shared/jump-event.js';
import { MAX_RAW_REJECTED_CHARS } from '../shared/jump-event.js';
import { EVENT_COLUMNS, eventParams, fromRow, type EventRow } from './event-row.js';

/** Bytes a dead letter costs besides its text (row header, integers, index entry), for the size cap. */
const DEAD_LETTER_OVERHEAD = 64;
/** Dead letters one trim deletes at most (keeps a commit short after an upgrade left many small ones). */
const TRIM_MAX = 10_000;

const COLUMNS = EVENT_COLUMNS;

/** An inbox row's lines as a JSON array, for json_each (lines are JSON objects without raw newlines). */
export const INBOX_ARRAY = `'[' || replace(lines, char(10), ',') || ']'`;

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
  private readonly stageStmt;
  private readonly insertRejectedStmt;
  private readonly getStmt;
  private readonly getStagedStmt;
  private readonly inboxChunkStmt;
  private readonly mirrorCursorStmt;
  private readonly setMirrorCursorStmt;
  private readonly unstageStmt;
  private readonly insertSignalStmt;
  private readonly rejectedTotalStmt;
  private readonly oldestRejectedStmt;
  private readonly dropRejectedStmt;
  /** Sum of rejected_events.bytes, once read (see trimRejected). */
  private rejectedBytes: number | undefined;

  constructor(private readonly db: Db) {
    const cols = COLUMNS.join(', ');
    const marks = COLUMNS.map(() => '?').join(', ');
    this.insertStmt = db.prepare(`INSERT OR IGNORE INTO jump_events (${cols}) VALUES (${marks})`);
    this.stageStmt = db.prepare('INSERT INTO jump_events_inbox (received_at, events, lines) VALUES (?, ?, ?)');
    this.insertRejectedStmt = db.prepare(
      'INSERT INTO rejected_events (received_at, reason, detail, raw, items, bytes) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare(`SELECT ${cols} FROM jump_events WHERE event_id = ?`);
    this.rejectedTotalStmt = db.prepare('SELECT coalesce(sum(bytes), 0) FROM rejected_events').pluck();
    this.oldestRejectedStmt = db.prepare('SELECT id, bytes FROM rejected_events ORDER BY id LIMIT ?');
    this.dropRejectedStmt = db.prepare('DELETE FROM rejected_events WHERE id <= ?');
    // The inbox is not indexed by event id (that is the point of it): lookups scan it. It is small
    // unless the server is under sustained load, and only tools and tests look events up.
    this.getStagedStmt = db
      .prepare(
        `SELECT e.value FROM jump_events_inbox, json_each(${INBOX_ARRAY}) e
          WHERE instr(lines, json_quote(@id)) > 0 AND e.value ->> '$.event_id' = @id
          ORDER BY jump_events_inbox.id, e.key LIMIT 1`,
      )
      .pluck();
    this.inboxChunkStmt = db.prepare('SELECT id, events, lines FROM jump_events_inbox ORDER BY id');
    this.mirrorCursorStmt = db.prepare('SELECT committed_bytes, file_id FROM mirror_cursor WHERE id = 1');
    this.setMirrorCursorStmt = db.prepare('UPDATE mirror_cursor SET committed_bytes = ?, file_id = ? WHERE id = 1');
    this.unstageStmt = db.prepare('DELETE FROM jump_events_inbox WHERE id <= ?');
    this.insertSignalStmt = db.prepare(
      `INSERT OR IGNORE INTO listener_events (signal_id, session_id, track_id, kind, position_s, beat_index,
         after_jump_event_id, ms_since_jump, policy_mode, client_ts, received_at)
       VALUES (@signal_id, @session_id, @track_id, @kind, @position_s, @beat_index, @after_jump_event_id,
         @ms_since_jump, @policy_mode, @client_ts, @received_at)`,
    );
  }

  /** Inserts one event straight into jump_events unless its event_id is stored; true when new. */
  insert(e: JumpEvent): boolean {
    return this.insertStmt.run(eventParams(e)).changes === 1;
  }

  /**
   * Appends a group commit's events to the ingest inbox as one row (cheap, sequential): `lines`
   * holds `count` event JSON texts joined by newlines. Deduplication happens when the inbox is
   * merged; callers skip ids they know are stored to keep the inbox and the mirror lean.
   */
  stageBatch(lines: string, count: number, receivedAt: number): void {
    this.stageStmt.run(receivedAt, count, lines);
  }

  /**
   * Moves the oldest inbox rows, about `maxEvents` events (at least one row), into jump_events in
   * one transaction; returns the number of events consumed (0 when the inbox is empty). The lines
   * are parsed here rather than with SQLite's JSON functions, which measured 4x slower for this.
   * IMMEDIATE: it reads before it writes, and a deferred transaction would fail at once
   * (SQLITE_BUSY_SNAPSHOT) whenever another connection (the learner, the labeler) committed in between.
   */
  mergeInbox(maxEvents: number): number {
    return this.db.transaction(() => {
      const rows: { id: number; events: number; lines: string }[] = [];
      let events = 0;
      for (const row of this.inboxChunkStmt.iterate() as IterableIterator<{ id: number; events: number; lines: string }>) {
        if (rows.length > 0 && events + row.events > maxEvents) break;
        rows.push(row);
        events += row.events;
      }
      if (rows.length === 0) return 0;
      const chunk: JumpEvent[] = [];
      for (const row of rows) for (const line of row.lines.split('\n')) chunk.push(JSON.parse(line) as JumpEvent);
      // Sorted by event_id, a chunk walks the UNIQUE index's leaf pages in order: each page is
      // dirtied once per chunk instead of once per event. The sort is stable, so of two copies of
      // an id the first staged is inserted first and wins (INSERT OR IGNORE).
      chunk.sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
      for (const e of chunk) this.insertStmt.run(eventParams(e));
      this.unstageStmt.run(rows[rows.length - 1]!.id);
      return events;
    }).immediate();
  }

  /** Bytes of the JSONL mirror known to be in SQLite, and which file (start-up recovery reads from there). */
  mirrorCursor(): { bytes: number; fileId: string | null } {
    const r = this.mirrorCursorStmt.get() as { committed_bytes: number; file_id: string | null };
    return { bytes: r.committed_bytes, fileId: r.file_id };
  }

  /** Records the mirror's size after a group's lines; in that group's transaction. */
  setMirrorCursor(bytes: number, fileId: string): void {
    this.setMirrorCursorStmt.run(bytes, fileId);
  }

  /** Merges the whole inbox (start-up, shutdown, tools). */
  mergeAll(chunk = 50_000): number {
    let total = 0;
    for (let n = this.mergeInbox(chunk); n > 0; n = this.mergeInbox(chunk)) total += n;
    return total;
  }

  /** The newest `limit` merged event ids (seeds the writer's duplicate window after a restart). */
  recentIds(limit: number): string[] {
    return this.db.prepare('SELECT event_id FROM jump_events ORDER BY id DESC LIMIT ?').pluck().all(limit) as string[];
  }

  /** Events staged in the inbox, not yet merged. */
  inboxSize(): number {
    return this.db.prepare('SELECT coalesce(sum(events), 0) FROM jump_events_inbox').pluck().get() as number;
  }

  /** Stores a listener signal unless its signal_id is stored; true when new. */
  insertSignal(sig: ListenerSignal): boolean {
    return this.insertSignalStmt.run(sig).changes === 1;
  }

  /** Listener signals by kind (telemetry). */
  signalCounts(): { kind: string; count: number }[] {
    return this.db.prepare('SELECT kind, count(*) AS count FROM listener_events GROUP BY kind ORDER BY kind').all() as { kind: string; count: number }[];
  }

  insertRejected(r: RejectedEvent): void {
    const raw = r.raw === null ? null : r.raw.slice(0, MAX_RAW_REJECTED_CHARS);
    const bytes = DEAD_LETTER_OVERHEAD + Buffer.byteLength(r.reason) + (r.detail === null ? 0 : Buffer.byteLength(r.detail)) + (raw === null ? 0 : Buffer.byteLength(raw));
    this.insertRejectedStmt.run(r.received_at, r.reason, r.detail, raw, r.items ?? 1, bytes);
    if (this.rejectedBytes !== undefined) this.rejectedBytes += bytes;
  }

  /**
   * Drops the oldest dead letters until the table holds at most `maxBytes` (their text, counted at
   * insert); returns how many letters were dropped. The running total is read once per connection and
   * kept up to date by this connection, the only one that writes the table (the ingest writer).
   */
  /** Forgets the running total (its transaction rolled back): the next trim reads it again. */
  forgetRejectedTotal(): void {
    this.rejectedBytes = undefined;
  }

  trimRejected(maxBytes: number): number {
    this.rejectedBytes ??= this.rejectedTotalStmt.get() as number;
    if (this.rejectedBytes <= maxBytes) return 0;
    let excess = this.rejectedBytes - maxBytes;
    let lastId = -1;
    let dropped = 0;
    let freed = 0;
    // Bounded: a store upgraded from one letter per item may hold millions of small letters; one
    // commit trims at most TRIM_MAX of them, and the next commits go on.
    for (const row of this.oldestRejectedStmt.iterate(TRIM_MAX) as Iterable<{ id: number; bytes: number }>) {
      lastId = row.id;
      dropped++;
      freed += row.bytes;
      excess -= row.bytes;
      if (excess <= 0) break;
    }
    if (lastId >= 0) this.dropRejectedStmt.run(lastId);
    this.rejectedBytes -= freed;
    return dropped;
  }

  /** True when the event is stored (merged or still in the inbox). */
  exists(eventId: string): boolean {
    return this.get(eventId) !== undefined;
  }

  get(eventId: string): JumpEvent | undefined {
    const row = this.getStmt.get(eventId) as EventRow | undefined;
    if (row) return fromRow(row);
    const line = this.getStagedStmt.get({ id: eventId }) as string | undefined;
    return line === undefined ? undefined : (JSON.parse(line) as JumpEvent);
  }

  /** Events in jump_events (merged). */
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
