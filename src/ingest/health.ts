import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storageCause } from '../shared/errors.js';
import type { WriterHealth } from './messages.js';

/** Below this much free space the disk counts as full: a group commit of 1 000 events needs about this much. */
const MIN_FREE_BYTES = 1024 * 1024;
/** The probe file's content: a few pages, so a disk with only metadata room left fails the probe. */
const PROBE_BYTES = Buffer.alloc(16 * 1024);

/** Whether the data directory takes writes now: enough free space, and a probe file can be written. */
export function probeDataDir(dir: string): WriterHealth {
  try {
    const free = statfsSync(dir);
    const bytes = free.bavail * free.bsize;
    if (bytes < MIN_FREE_BYTES) return { ok: false, reason: `the disk is full (${Math.floor(bytes / 1024)} KB free)` };
    const probe = join(dir, '.healthz-probe');
    writeFileSync(probe, PROBE_BYTES);
    rmSync(probe, { force: true });
  } catch (err) {
    return { ok: false, reason: storageCause(err) ?? 'the data directory cannot be written' };
  }
  return { ok: true };
}
