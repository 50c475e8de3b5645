import type { PgStore } from '../../src/store/pg/store.js';
import { insertEvents } from '../../src/store/pg/ingest.js';
import { storedEvent } from './context.js';

/**
 * Two ingest nodes committing out of id order: event `slow-1` is inserted (the lower id) in a
 * transaction left open, `fast-2` (the higher id) is committed; `whileOpen` runs before the slow one
 * commits. What a cursor over jump_events must survive on PostgreSQL.
 */
export async function withLateCommit(s: PgStore, whileOpen: () => Promise<void>): Promise<void> {
  const slow = await s.pool.connect();
  try {
    await slow.query('BEGIN');
    await insertEvents(slow, [storedEvent({ event_id: 'slow-1' })]);
    await s.events.insertMany([storedEvent({ event_id: 'fast-2' })]);
    await whileOpen();
    await slow.query('COMMIT');
  } finally {
    slow.release();
  }
}
