import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { removeOrphanTemps } from '../shared/temp-files.js';

/** A temp file's name (src/shared/temp-files.ts): `.NAME.PID.HEX.tmp`. */
const TEMP = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * How old a temp file in a shared snippets folder must be before a starting renderer deletes it. A
 * render writes its file in well under a second; an hour leaves any live writer on any node alone.
 */
export const SHARED_TEMP_MAX_AGE_MS = 60 * 60_000;

/**
 * Deletes the temp files that killed renderers left in the snippets folder. With one machine (SQLite)
 * a temp file whose writer pid is gone is an orphan. With renderers on several machines sharing the
 * folder (PostgreSQL) a pid says nothing about another machine's processes, so only temp files older
 * than SHARED_TEMP_MAX_AGE_MS are deleted there. Returns how many.
 */
export function removeOrphanSnippetTemps(dir: string, shared: boolean, now = Date.now()): number {
  if (!shared) return removeOrphanTemps(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    if (!TEMP.test(n)) continue;
    try {
      const p = join(dir, n);
      if (now - statSync(p).mtimeMs < SHARED_TEMP_MAX_AGE_MS) continue;
      unlinkSync(p);
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
