import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { HarmonizerError } from '../shared/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export type Db = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Page cache in MiB. The writer uses a large one: random UUID keys in the UNIQUE index stay hot. */
  cacheMb?: number;
  /**
   * NORMAL skips the WAL fsync at each commit (a commit still survives a process crash). Only for a
   * connection whose every write is also in an fdatasync'ed log, as the ingest writer's are in the
   * JSONL mirror, which start-up recovery replays after a power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens the SQLite file with the pragmas every process uses: WAL (readers never block the writer),
 * synchronous=FULL by default (a committed transaction survives power loss), and a busy timeout so
 * the server and a separate render process cooperate on one file.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  if (!opts.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new HarmonizerError('STORE_UNAVAILABLE', `cannot open database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
  }
  db.pragma(`cache_size = -${(opts.cacheMb ?? 64) * 1024}`);
  return db;
}

/** Applies the migrations newer than the file's user_version, each in its own transaction. */
export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new HarmonizerError(
      'STORE_UNAVAILABLE',
      `database schema version ${current} is newer than this build (${SCHEMA_VERSION}); upgrade harmonizer`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return SCHEMA_VERSION;
}
