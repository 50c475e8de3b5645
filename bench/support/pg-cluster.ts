import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/**
 * A throw-away PostgreSQL cluster for one test file: `initdb` in a temp dir, `pg_ctl start` on a free
 * port with its socket in the same dir, stopped and removed by `stop()`. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the `postgres` user Debian's package creates.
 */
export interface PgCluster {
  /** A URL of a fresh database in the cluster (created by `database()`), empty or a copy of `template`. */
  database(name: string, template?: string): string;
  /** CPU seconds (user + system) used so far by the cluster's server processes (the postmaster and its children). */
  cpuSeconds(): number;
  stop(): void;
}

/** utime + stime of a process and its ppid, from /proc/PID/stat (fields after the command's closing paren). */
function procStat(pid: number): { ppid: number; cpu: number; reaped: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // utime, stime; cutime, cstime: children that exited and were waited for (ended backends).
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS, reaped: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, which /proc reports CPU times in. */
const CLOCK_TICKS = 100;

/** initdb and pg_ctl: on PATH, or in Debian's versioned folder. */
function pgBin(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return join(dir, name);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort().reverse()) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  }
  throw new Error(`${name} not found: install Debian's postgresql (make test does, with apt)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'harmonizer-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const run = (bin: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args], { stdio: 'pipe' }) : execFileSync(pgBin(bin), args, { stdio: 'pipe' });
  if (asRoot) {
    const pgUser = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const pgGroup = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, pgUser, pgGroup);
  }
  const port = await freePort();
  // --no-sync and fsync=off: a test cluster that dies with the test need not survive a power loss.
  run('initdb', ['-D', data, '-U', 'harmonizer', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off -c max_connections=200`, 'start']);
  const base = `postgres://harmonizer@localhost:${port}`;
  const socket = `host=${encodeURIComponent(dir)}`;
  return {
    database(name, template) {
      const sql = template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`;
      execFileSync('psql', ['-h', dir, '-p', String(port), '-U', 'harmonizer', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
      return `${base}/${name}?${socket}`;
    },
    cpuSeconds() {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const pm = procStat(postmaster);
      let total = pm ? pm.cpu + pm.reaped : 0;
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const st = procStat(Number(name));
        if (st && st.ppid === postmaster) total += st.cpu;
      }
      return total;
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
