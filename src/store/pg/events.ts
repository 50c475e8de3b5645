import type { JumpEvent, ListenerSignal } from '../../shared/jump-event.js';
import type { EventsApi } from '../api.js';
import type { InsertResult } from '../events.js';
import { EVENT_COLUMNS, fromRow, type EventRow } from '../event-row.js';
import { insertEvents, insertSignals } from './ingest.js';
import { pgTransaction, type PgPool } from './pool.js';

/** jump_events and listener_events for callers outside the ingest (which writes through src/store/pg/ingest.ts). */
export function pgEvents(pool: PgPool): EventsApi {
  return {
    async get(eventId: string) {
      const r = await pool.query<EventRow>(`SELECT ${EVENT_COLUMNS.join(', ')} FROM jump_events WHERE event_id = $1`, [eventId]);
      return r.rows[0] ? fromRow(r.rows[0]) : undefined;
    },
    async exists(eventId: string) {
      const r = await pool.query('SELECT 1 FROM jump_events WHERE event_id = $1', [eventId]);
      return (r.rowCount ?? 0) > 0;
    },
    async count() {
      const r = await pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM jump_events');
      return r.rows[0]!.n;
    },
    async recentIds(limit: number) {
      const r = await pool.query<{ event_id: string }>('SELECT event_id FROM jump_events ORDER BY id DESC LIMIT $1', [limit]);
      return r.rows.map((x) => x.event_id);
    },
    async insertMany(events: readonly JumpEvent[]): Promise<InsertResult> {
      const stored = await pgTransaction(pool, (c) => insertEvents(c, events, { inOrder: true }));
      return { inserted: stored.size, duplicates: events.length - stored.size };
    },
    async insertSignal(sig: ListenerSignal) {
      return (await pgTransaction(pool, (c) => insertSignals(c, [sig]))) === 1;
    },
    async signalCounts() {
      const r = await pool.query<{ kind: string; count: number }>('SELECT kind, count(*)::int8 AS count FROM listener_events GROUP BY kind ORDER BY kind COLLATE "C"');
      return r.rows;
    },
  };
}
