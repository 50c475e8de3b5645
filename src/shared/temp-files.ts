import { readdirSync, unlinkSync } from 'node:fs';
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

/** Deletes temp files in `dir` whose writer process is gone; returns how many. */
export function removeOrphanTemps(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, n));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
