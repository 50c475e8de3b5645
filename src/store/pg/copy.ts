import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HarmonizerError } from '../../shared/errors.js';
import { Store } from '../index.js';
import { openDatabase } from '../sqlite.js';
import { COPY_TABLES, type CopyTable } from './schema.js';
import { migratePg, pgTransaction, type PgClient, type PgPool } from './pool.js';

export interface TableCopy {
  table: string;
  /** The SQLite table's columns, in the order both checksums read them. */
  columns: string[];
  rows: number;
  /** sha256 of the rows in key order, the same on both sides. */
  checksum: string;
}

export interface CopyResult {
  tables: TableCopy[];
  ms: number;
}

/** Rows read from SQLite per query (keyset pages: no SQLite transaction stays open across an await). */
const PAGE = 5000;
/** PostgreSQL takes at most 65 535 parameters per statement. */
const MAX_PARAMS = 60_000;

/**
 * PostgreSQL's TEXT cannot hold U+0000, which SQLite's can (a dead letter's raw body may): it is copied
 * as U+FFFD, and both checksums are taken over the copied value.
 */
function portable(v: unknown): unknown {
  return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v;
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

/**
 * Copies every table of a SQLite store into an empty PostgreSQL database (migrated first), in one
 * PostgreSQL transaction: a failure leaves the target as it was. The source is opened read-only and
 * snapshotted with SQLite's online backup (consistent even while a server writes to it; nothing written
 * after the snapshot is copied), and the snapshot's ingest inbox is merged into jump_events (as the
 * writer does at start-up), so every event is copied. At the end each table's row count and checksum
 * are read back from PostgreSQL and compared with what was read from the snapshot.
 */
export async function copySqliteToPg(sqlitePath: string, pool: PgPool): Promise<CopyResult> {
  const t0 = performance.now();
  if (!existsSync(sqlitePath)) throw new HarmonizerError('INVALID_ARGUMENT', `no SQLite store at ${sqlitePath}`);
  const snapshot = join(mkdtempSync(join(tmpdir(), 'harmonizer-copy-')), 'snapshot.sqlite3');
  try {
    await snapshotOf(sqlitePath, snapshot);
    await migratePg(pool);
    return await copySnapshot(snapshot, pool, t0);
  } finally {
    rmSync(dirname(snapshot), { recursive: true, force: true });
  }
}

/** A consistent copy of a harmonizer SQLite store at `to` (the source is only read). */
async function snapshotOf(from: string, to: string): Promise<void> {
  // The plain connection, not a Store: a Store prepares its statements on tables this file may lack.
  const db = openDatabase(from, { readonly: true });
  try {
    const isStore = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jump_events'").pluck().get();
    if (!isStore) throw new HarmonizerError('INVALID_ARGUMENT', `${from} is not a harmonizer store (it has no jump_events table)`);
    await db.backup(to);
  } finally {
    db.close();
  }
}

async function copySnapshot(path: string, pool: PgPool, t0: number): Promise<CopyResult> {
  const store = Store.open(path);
  try {
    store.events.mergeAll();
    const tables = await pgTransaction(pool, async (c) => {
      await refuseNonEmpty(c);
      const copied: TableCopy[] = [];
      for (const t of COPY_TABLES) copied.push(await copyTable(store, c, t));
      for (const t of COPY_TABLES) {
        if (t.identity) {
          await c.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${quote(t.identity)}) FROM ${quote(t.name)}), 0) + 1, false)`, [t.name, t.identity]);
        }
      }
      for (const want of copied) {
        const t = COPY_TABLES.find((x) => x.name === want.table)!;
        const got = await pgChecksum(c, t, want.columns);
        if (got.rows !== want.rows || got.checksum !== want.checksum) {
          throw new HarmonizerError('INVALID_ARGUMENT', `copy check failed for ${t.name}: SQLite ${want.rows} rows (${want.checksum.slice(0, 12)}), PostgreSQL ${got.rows} rows (${got.checksum.slice(0, 12)}); nothing was copied`);
        }
      }
      return copied;
    });
    return { tables, ms: performance.now() - t0 };
  } finally {
    store.close();
  }
}

async function refuseNonEmpty(c: PgClient): Promise<void> {
  for (const t of COPY_TABLES) {
    if (t.singleton) continue;
    const r = await c.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quote(t.name)}`);
    const n = r.rows[0]!.n;
    if (n > 0) throw new HarmonizerError('INVALID_ARGUMENT', `the target database already holds data (${n} rows in ${t.name}): copy into an empty database`);
  }
}

const rowHash = (h: Hash, values: readonly unknown[]) => h.update(JSON.stringify(values)).update('\n');

/** Reads the SQLite table page by page in key order, inserts each page, and hashes what it inserted. */
async function copyTable(store: Store, c: PgClient, t: CopyTable): Promise<TableCopy> {
  const columns = (store.db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(t.name) as string[]);
  if (columns.length === 0) throw new HarmonizerError('INVALID_ARGUMENT', `the SQLite store has no table ${t.name}`);
  const cols = columns.map(quote).join(', ');
  const keys = t.key.map(quote);
  const order = keys.join(', ');
  const first = store.db.prepare(`SELECT ${cols} FROM ${quote(t.name)} ORDER BY ${order} LIMIT ${PAGE}`).raw();
  const next = store.db.prepare(`SELECT ${cols} FROM ${quote(t.name)} WHERE (${order}) > (${keys.map(() => '?').join(', ')}) ORDER BY ${order} LIMIT ${PAGE}`).raw();
  const keyAt = t.key.map((k) => columns.indexOf(k));
  const perInsert = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const hash = createHash('sha256');
  let rows = 0;
  let page = first.all() as unknown[][];
  while (page.length > 0) {
    const values = page.map((r) => r.map(portable));
    for (const v of values) rowHash(hash, v);
    for (let i = 0; i < values.length; i += perInsert) await insertRows(c, t, columns, values.slice(i, i + perInsert));
    rows += page.length;
    const last = page[page.length - 1]!;
    page = next.all(...keyAt.map((i) => last[i])) as unknown[][];
  }
  return { table: t.name, columns, rows, checksum: hash.digest('hex') };
}

async function insertRows(c: PgClient, t: CopyTable, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
  const cols = columns.map(quote).join(', ');
  const conflict = t.singleton
    ? ` ON CONFLICT (${t.key.map(quote).join(', ')}) DO UPDATE SET ${columns.filter((x) => !t.key.includes(x)).map((x) => `${quote(x)} = excluded.${quote(x)}`).join(', ')}`
    : '';
  // OVERRIDING SYSTEM VALUE is not needed: identity columns are GENERATED BY DEFAULT, so copied ids are kept.
  await c.query(`INSERT INTO ${quote(t.name)} (${cols}) VALUES ${tuples.join(', ')}${conflict}`, params);
}

/** The same hash over PostgreSQL's rows, read in byte order of the keys (COLLATE "C" is SQLite's BINARY). */
async function pgChecksum(c: PgClient, t: CopyTable, columns: readonly string[]): Promise<{ rows: number; checksum: string }> {
  const order = t.key.map((k) => `${quote(k)} COLLATE "C"`).join(', ');
  const numericKey = t.key.length === 1 && (t.key[0] === 'id' || t.key[0] === 'seq');
  await c.query(`DECLARE copy_check NO SCROLL CURSOR FOR SELECT ${columns.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY ${numericKey ? quote(t.key[0]!) : order}`);
  const hash = createHash('sha256');
  let rows = 0;
  try {
    for (;;) {
      const r = await c.query({ text: `FETCH ${PAGE} FROM copy_check`, rowMode: 'array' });
      if (r.rows.length === 0) break;
      for (const row of r.rows as unknown[][]) rowHash(hash, row);
      rows += r.rows.length;
    }
  } finally {
    await c.query('CLOSE copy_check');
  }
  return { rows, checksum: hash.digest('hex') };
}
