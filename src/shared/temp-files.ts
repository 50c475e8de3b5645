import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Snippets, models and policy files are written to a temp file and renamed into place. The temp name carries the writing
 * process's pid, so a renderer starting up can delete the leftovers of a renderer that was killed
 * mid-write (pid no longer alive) without touching files another live renderer is writing.
 */
export function tempFileName(finalName: string, random: string): string {
  return `.${finalName}.${process.pid}.${random}.tmp`;
}

const TEMP = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How old a temp file in a folder several machines share must be before a starting process deletes it:
 * a pid says nothing about another machine's processes, and an hour leaves any live writer anywhere alone.
 */
export const SHARED_TEMP_MAX_AGE_MS = 60 * 60_000;

/**
 * Deletes temp files in `dir` whose writer process is gone; returns how many. `shared`: the folder is
 * shared between machines (the data dir of a PostgreSQL deployment), so only temp files older than
 * SHARED_TEMP_MAX_AGE_MS are orphans.
 */
export function removeOrphanTemps(dir: string, opts: { shared?: boolean; now?: number } = {}): number {
  const now = opts.now ?? Date.now();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m) continue;
    try {
      if (opts.shared ? now - statSync(join(dir, n)).mtimeMs < SHARED_TEMP_MAX_AGE_MS : alive(Number(m[1]))) continue;
      unlinkSync(join(dir, n));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
