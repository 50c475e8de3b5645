import { readFileSync, statSync } from 'node:fs';

export interface ActiveModelFile {
  version: string;
  /** The file's raw bytes, served as-is by GET /api/rl/model. */
  raw: string;
  mtimeMs: number;
}

/**
 * The active model as far as the server is concerned: $RL_DATA_DIR/model.json. Re-read only when
 * its mtime changes, so the policy endpoint pays one stat per call, not a parse.
 */
export class ActiveModel {
  private cached: ActiveModelFile | null = null;

  constructor(private readonly path: string) {}

  get(): ActiveModelFile | null {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      this.cached = null;
      return null;
    }
    if (this.cached && this.cached.mtimeMs === mtimeMs) return this.cached;
    try {
      const raw = readFileSync(this.path, 'utf8');
      const parsed = JSON.parse(raw) as { version?: unknown };
      const version = typeof parsed.version === 'string' || typeof parsed.version === 'number' ? String(parsed.version) : 'unversioned';
      this.cached = { version, raw, mtimeMs };
    } catch {
      // A model file that cannot be read is treated as no model (the policy falls back to baseline).
      this.cached = null;
    }
    return this.cached;
  }
}
