import { resolve } from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { copySqliteToPg, migratePg, openPgPool, pgStatus, redacted, type PgPool } from '../../store/pg/index.js';
import { table } from '../../telemetry/format.js';
import type { Command } from '../command.js';

async function withPool<T>(url: string, size: number, fn: (pool: PgPool) => Promise<T>): Promise<T> {
  // No idle-in-transaction limit: db copy holds one transaction while it reads each SQLite table.
  const pool = openPgPool(url, size, { idleInTransactionMs: 0 });
  try {
    return await fn(pool);
  } catch (err) {
    // Connection failures carry the driver's text ("connect ECONNREFUSED …"): say which database.
    const code = (err as { code?: string }).code;
    if (code && /^(ECONNREFUSED|ENOTFOUND|ENOENT|28P01|3D000|28000)$/.test(code)) {
      throw errors.invalidConfig(`cannot connect to ${redacted(url)}: ${(err as Error).message}`);
    }
    throw err;
  } finally {
    await pool.end();
  }
}

export const dbCommand: Command = {
  name: 'db',
  postgres: true,
  summary: 'the PostgreSQL store (RL_DATABASE_URL): db migrate | db status | db copy --from sqlite:PATH --to postgres://…',
  usage: 'db migrate | db status [--json] | db copy --from sqlite:PATH --to postgres://URL [--json]',
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: {
    from: 'the SQLite store to copy: sqlite:PATH (default sqlite:$RL_DATA_DIR/rl.sqlite3)',
    to: 'the PostgreSQL database to copy into (default RL_DATABASE_URL); it must be empty',
    json: 'print the result as JSON',
  },
  subcommands: [
    { name: 'migrate', summary: 'apply the missing schema migrations to RL_DATABASE_URL (under an advisory lock: several nodes at once migrate once)', usage: 'db migrate' },
    { name: 'status', summary: 'the schema version of RL_DATABASE_URL and the migrations still pending', usage: 'db status [--json]', options: ['json'] },
    { name: 'copy', summary: 'copy a SQLite store into an empty PostgreSQL database; row counts and checksums are compared at the end', usage: 'db copy --from sqlite:PATH --to postgres://URL [--json]', options: ['from', 'to', 'json'] },
  ],
  async run({ values, positionals }) {
    const [sub, ...extra] = positionals;
    if (extra.length > 0 || !sub || !['migrate', 'status', 'copy'].includes(sub)) {
      throw errors.invalidArgument('usage: harmonizer db migrate | db status | db copy --from sqlite:PATH --to postgres://URL (see harmonizer db --help)');
    }
    const config = loadConfig();
    if (sub === 'copy') {
      const from = typeof values.from === 'string' ? values.from : `sqlite:${config.paths.db}`;
      if (!from.startsWith('sqlite:')) throw errors.invalidArgument(`--from must be sqlite:PATH (got "${from}")`);
      const to = typeof values.to === 'string' ? values.to : config.databaseUrl;
      if (!to) throw errors.invalidArgument('--to postgres://… is required (or set RL_DATABASE_URL)');
      if (!/^postgres(ql)?:\/\//.test(to)) throw errors.invalidArgument(`--to must be a postgres:// URL (got "${redacted(to)}")`);
      const path = resolve(from.slice('sqlite:'.length));
      const r = await withPool(to, config.dbPool, (pool) => copySqliteToPg(path, pool));
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(table(['table', 'rows', 'sha256 (both sides)'], r.tables.map((t) => [t.table, t.rows, t.checksum.slice(0, 16)])));
        console.log(`copied ${r.tables.reduce((n, t) => n + t.rows, 0)} rows from ${path} to ${redacted(to)} in ${(r.ms / 1000).toFixed(1)} s; counts and checksums match`);
      }
      return;
    }
    const url = config.databaseUrl;
    if (!url) throw errors.invalidConfig('RL_DATABASE_URL is not set: harmonizer db needs a postgres:// URL');
    if (sub === 'migrate') {
      const r = await withPool(url, 1, migratePg);
      console.log(r.applied.length === 0 ? `up to date at schema version ${r.version}` : `applied migration${r.applied.length > 1 ? 's' : ''} ${r.applied.join(', ')}: now at schema version ${r.version}`);
      return;
    }
    const s = await withPool(url, 1, pgStatus);
    if (values.json) console.log(JSON.stringify(s, null, 2));
    else {
      console.log(`${redacted(url)}: schema version ${s.version} of ${s.latest}${s.pending.length ? `; pending: ${s.pending.join(', ')} (run harmonizer db migrate)` : ' (up to date)'}`);
    }
  },
};
