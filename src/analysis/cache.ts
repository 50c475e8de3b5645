/**
 * The on-disk analysis cache: one JSON file per (audio sha256, ANALYSIS_VERSION) under
 * $RL_DATA_DIR/analysis. Analysis is deterministic, so the key fully identifies the content; a version
 * bump simply misses the old files. Writes are temp file + rename, so readers (other processes too) see
 * either no file or a complete one; a file that does not parse or does not look like an analysis is
 * treated as a miss and overwritten by the next computation.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { errors } from '../shared/errors.js';
import { ANALYSIS_VERSION, type AnalysisResult } from './types.js';

const SHA256 = /^[0-9a-f]{64}$/;

export class AnalysisCache {
  constructor(readonly dir: string) {
    if (typeof dir !== 'string' || dir === '') throw errors.invalidArgument('AnalysisCache: dir must be a non-empty path');
  }

  /** `<dir>/<sha256>.v<ANALYSIS_VERSION>.json`; the sha256 is checked so a key can never escape the folder. */
  path(sha256: string): string {
    if (!SHA256.test(sha256)) throw errors.invalidArgument(`AnalysisCache: "${sha256}" is not a lower-case hex sha256`);
    return join(this.dir, `${sha256}.v${ANALYSIS_VERSION}.json`);
  }

  /** True when a cache file exists (not validated: a cheap status for listings). */
  has(sha256: string): boolean {
    return existsSync(this.path(sha256));
  }

  /** The cached analysis, or undefined when absent or unusable (corrupt, other version, wrong shape). */
  async read(sha256: string): Promise<AnalysisResult | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(sha256), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const value: unknown = JSON.parse(text);
      return looksLikeAnalysis(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes atomically (temp + rename). No fsync: a cache lost in a crash is recomputed, never half-read. */
  async write(sha256: string, result: AnalysisResult): Promise<void> {
    const dest = this.path(sha256);
    await mkdir(this.dir, { recursive: true });
    const tmp = `${dest}.${randomUUID()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(result));
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

/** A structural check of the fields every consumer indexes into; enough to reject truncated or foreign JSON. */
function looksLikeAnalysis(v: unknown): v is AnalysisResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<AnalysisResult>;
  return (
    r.version === ANALYSIS_VERSION &&
    (r.status === 'ok' || r.status === 'no_beats') &&
    typeof r.track === 'object' &&
    r.track !== null &&
    Array.isArray(r.beats) &&
    Array.isArray(r.sections) &&
    Array.isArray(r.candidates) &&
    r.candidates.length === r.beats.length &&
    r.track.n_beats === r.beats.length &&
    typeof r.timings_ms === 'object'
  );
}
