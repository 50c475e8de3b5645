import type { ListenerSignal, RejectedEvent } from '../shared/jump-event.js';
import type { Assignment } from '../store/index.js';
import type { ReplayResult } from './recovery.js';

/** The typed protocol between the ingest main thread and its SQLite writer thread. */
export interface WriterInit {
  dbPath: string;
  jsonlPath: string;
  cacheMb: number;
  /** Inbox events above which merges run between commits (default MERGE_BACKLOG). */
  mergeBacklog?: number;
  /** RL_REJECTED_MAX_MB in bytes (default 64 MiB). */
  rejectedMaxBytes?: number;
}

/**
 * The validated events of a batch, serialized on the HTTP thread and joined into one string: a
 * single string crosses the thread boundary as one copy, where one object per event would be
 * cloned field by field.
 */
export interface EventLines {
  ids: string[];
  /** The events' JSON texts (the mirror lines), joined by "\n". */
  text: string;
  /** The earliest received_at of the events. */
  receivedAt: number;
}

export interface WriteBatch {
  events: EventLines | null;
  rejected: RejectedEvent[];
  signals: ListenerSignal[];
}

export interface WriteResult {
  /** Events newly staged. */
  inserted: number;
  /** Events skipped as recently stored. */
  duplicates: number;
  /** Rejected items stored (as one dead letter per body). */
  rejected: number;
  /** Old dead letters dropped by this commit to stay under RL_REJECTED_MAX_MB (on the first result of a group). */
  rejectedDropped?: number;
  /** Time spent in the transaction (JSONL write + commit), ms. */
  commitMs: number;
}

/** Whether the writer can store events now, and why not. */
export interface WriterHealth {
  ok: boolean;
  /** A sentence for the client (no paths, no raw OS messages), when not ok. */
  reason?: string;
}

export type ToWriter =
  | { type: 'write'; id: number; batch: WriteBatch }
  | { type: 'assign'; id: number; assignment: Assignment }
  | { type: 'health'; id: number }
  | { type: 'close'; id: number };

export type FromWriter =
  | { type: 'ready'; recovered: ReplayResult }
  /** These batches are committed and durable (one message per mirror fdatasync). */
  | { type: 'written'; ids: number[]; results: WriteResult[] }
  | { type: 'assigned'; id: number; assignment: Assignment }
  | { type: 'health'; id: number; health: WriterHealth }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; code: string; message: string; headers?: Record<string, string> }
  | { type: 'fatal'; message: string };
