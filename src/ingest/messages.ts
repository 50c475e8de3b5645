import type { ListenerSignal, RejectedEvent, StagedEvent } from '../shared/jump-event.js';
import type { Assignment } from '../store/index.js';
import type { ReplayResult } from './recovery.js';

/** The typed protocol between the ingest main thread and its SQLite writer thread. */
export interface WriterInit {
  dbPath: string;
  jsonlPath: string;
  cacheMb: number;
}

export interface WriteBatch {
  /** Validated events, serialized once on the HTTP thread (strings cross the thread boundary cheaply). */
  events: StagedEvent[];
  rejected: RejectedEvent[];
  signals: ListenerSignal[];
}

export interface WriteResult {
  inserted: number;
  duplicates: number;
  /** Time spent in the transaction (JSONL fsync + commit), ms. */
  commitMs: number;
}

export type ToWriter =
  | { type: 'write'; id: number; batch: WriteBatch }
  | { type: 'assign'; id: number; assignment: Assignment }
  | { type: 'health'; id: number }
  | { type: 'close'; id: number };

export type FromWriter =
  | { type: 'ready'; recovered: ReplayResult }
  | { type: 'written'; id: number; result: WriteResult }
  | { type: 'assigned'; id: number; assignment: Assignment }
  | { type: 'health'; id: number; ok: boolean }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; code: string; message: string }
  | { type: 'fatal'; message: string };
