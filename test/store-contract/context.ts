import { randomUUID } from 'node:crypto';
import type { StoreApi } from '../../src/store/index.js';
import type { GroupCommitWriter } from '../../src/ingest/writer.js';
import type { JumpEvent } from '../../src/shared/jump-event.js';
import { makeEvent } from '../support/env.js';

/**
 * What a domain's contract gets: a fresh, empty, migrated store per call (SQLite file or PostgreSQL
 * database), and the backend's name for messages. Contracts use the store's interface only, so the
 * same assertions hold both implementations to the same behaviour.
 */
export interface ContractContext {
  readonly backend: 'sqlite' | 'postgres';
  fresh(): Promise<StoreApi>;
  /**
   * The ingest's write path into `store` (the writer's statements are not part of StoreApi): the SQLite
   * writer core on the same file, or a PostgreSQL ingest node on the same database, each behind the
   * group-commit writer the server uses, with its own mirror in a temp dir.
   */
  writer(store: StoreApi, opts?: { rejectedMaxBytes?: number }): Promise<ContractWriter>;
}

export interface ContractWriter {
  writer: GroupCommitWriter;
  /** Dead letters dropped by the size cap so far (the commits' rejectedDropped). */
  dropped(): number;
  close(): Promise<void>;
}

/** A jump event as the ingest stores it (received_at set), with overrides. */
export function storedEvent(over: Partial<JumpEvent> & Record<string, unknown> = {}): JumpEvent {
  return { ...makeEvent(), received_at: 1_700_000_000_000, ...over } as unknown as JumpEvent;
}

/** `n` events of one session, in arrival order, 1 ms apart. */
export function sessionEvents(n: number, over: Partial<JumpEvent> & Record<string, unknown> = {}): JumpEvent[] {
  const session = `s-${randomUUID()}`;
  return Array.from({ length: n }, (_, i) => storedEvent({ session_id: session, received_at: 1_700_000_000_000 + i, client_ts: 1_700_000_000_000 + i, ...over }));
}
