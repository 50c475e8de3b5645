import { readFileSync, statSync } from 'node:fs';
import type { StoreApi } from '../store/index.js';

export interface ActiveModelFile {
  version: string;
  /** The file's raw bytes, served as-is by GET /api/rl/model. */
  raw: string;
  /** The file's mtime; for a store source, when this version was first read. */
  mtimeMs: number;
}

/**
 * Where a node reads an active version from when it is not its own file: the store (PostgreSQL), which
 * every node shares, so nodes follow the versions the elected learner (or a `train`) promotes.
 */
export interface ActiveSource {
  read(): Promise<{ version: string; raw: string } | null>;
  /** The active version alone (cheap): `read` runs only when it differs from the version held. */
  version(): Promise<string | null>;
  /** How often the source is read (ms). */
  pollMs: number;
}

/** How soon a node serves a version promoted elsewhere: one indexed row read per interval. */
export const ACTIVE_POLL_MS = 1000;

/** The active bandit policy row (bandit_policies, status active): its policy_json as written by the learner. */
export function activePolicySource(store: StoreApi, pollMs = ACTIVE_POLL_MS): ActiveSource {
  return {
    pollMs,
    version: () => store.bandit.activePolicyVersion(),
    read: async () => {
      const row = await store.bandit.activePolicy();
      return row ? { version: row.version, raw: row.policy_json } : null;
    },
  };
}

/**
 * The active model row (models, active = 1). Its model_json is the model `train` promoted (the same
 * JSON value as model.json; compact, where the file is indented).
 */
export function activeModelSource(store: StoreApi, pollMs = ACTIVE_POLL_MS): ActiveSource {
  return {
    pollMs,
    version: () => store.models.activeVersion(),
    read: async () => {
      const row = await store.models.active();
      return row ? { version: row.version, raw: row.model_json } : null;
    },
  };
}

/**
 * The active model (or policy) as far as the server is concerned. From a file ($RL_DATA_DIR/model.json,
 * policy.json): re-read only when its mtime changes, so the policy endpoint pays one stat per call, not
 * a parse. From a store source: read every `pollMs` in the background, and `get` answers from the last
 * read (the request path never waits on the database); a failed read keeps the last known version.
 */
export class ActiveModel {
  private cached: ActiveModelFile | null = null;
  private readonly path: string | null;
  private readonly source: ActiveSource | null;
  private timer: NodeJS.Timeout | null = null;
  private first: Promise<void> = Promise.resolve();
  private polling = false;

  constructor(from: string | ActiveSource) {
    this.path = typeof from === 'string' ? from : null;
    this.source = typeof from === 'string' ? null : from;
    if (this.source) {
      this.first = this.poll();
      this.timer = setInterval(() => void this.poll(), this.source.pollMs);
      this.timer.unref();
    }
  }

  /** Resolves after the first read of a store source (at once for a file). */
  ready(): Promise<void> {
    return this.first;
  }

  /** Stops polling a store source. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.source) return;
    this.polling = true;
    try {
      // Every node polls every second: it reads the version alone, and the JSON only when it changed.
      const v = await this.source.version();
      if (v !== null && v === this.cached?.version) return;
      const r = v === null ? null : await this.source.read();
      if (!r) this.cached = null;
      else if (!this.cached || this.cached.version !== r.version || this.cached.raw !== r.raw) this.cached = { version: r.version, raw: r.raw, mtimeMs: Date.now() };
    } catch {
      // The store is unreachable for now (or closing): keep serving the last version read.
    } finally {
      this.polling = false;
    }
  }

  get(): ActiveModelFile | null {
    if (this.path === null) return this.cached;
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
