import { existsSync, statSync } from 'node:fs';
import type { Store } from '../store/index.js';
import type { JumpEvent } from '../shared/jump-event.js';
import { readLines } from './jsonl.js';
import { validateEvent } from './validate.js';

export interface ReplayResult {
  /** Byte offset of the mirror the replay started from (start-up recovery: the mirror cursor). */
  from: number;
  lines: number;
  inserted: number;
  present: number;
  invalid: number;
}

const BATCH = 5000;

/** Parses one mirror line back into an event (received_at restored); undefined when unusable. */
export function parseMirrorLine(line: string): JumpEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { received_at, ...rest } = value as Record<string, unknown>;
  const at = typeof received_at === 'number' && Number.isFinite(received_at) ? received_at : Date.now();
  const r = validateEvent(rest, 0, at);
  return r.ok ? r.event : undefined;
}

/**
 * The mirror's events from byte `from`, in batches of `size` (one read pass, constant memory); lines
 * that do not parse into a valid event are counted in `result` (lines, invalid) and skipped.
 */
export function* mirrorBatches(path: string, from: number, size: number, result: ReplayResult): Generator<JumpEvent[]> {
  let batch: JumpEvent[] = [];
  for (const line of readLines(path, undefined, from)) {
    result.lines++;
    const e = parseMirrorLine(line);
    if (!e) {
      result.invalid++;
      continue;
    }
    batch.push(e);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Inserts every mirrored event whose event_id SQLite lacks, in batched transactions, reading the
 * file from byte `from` (start-up recovery passes the mirror cursor: only lines of groups whose
 * commit may be missing; an offset past the end of the file, a replaced mirror, means from the
 * start). With `rebuild` (`harmonizer replay`), the table is emptied and refilled in one transaction
 * over the whole file, so a failed rebuild leaves the table as it was.
 */
export function replayMirror(store: Store, path: string, opts: { rebuild?: boolean; from?: number } = {}): ReplayResult {
  const size = existsSync(path) ? statSync(path).size : 0;
  const from = opts.rebuild || !opts.from || opts.from > size ? 0 : opts.from;
  const result: ReplayResult = { from, lines: 0, inserted: 0, present: 0, invalid: 0 };
  const insertBatch = (batch: JumpEvent[]) => {
    const r = store.events.insertMany(batch);
    result.inserted += r.inserted;
    result.present += r.duplicates;
  };
  const run = () => {
    if (opts.rebuild) store.events.deleteAll();
    for (const batch of mirrorBatches(path, from, BATCH, result)) insertBatch(batch);
  };
  // Nested transactions become savepoints in better-sqlite3, so a rebuild is all-or-nothing.
  if (opts.rebuild) store.transaction(run);
  else run();
  return result;
}
