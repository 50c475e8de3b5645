import pg from 'pg';
import { CONNECTION_OPTIONS } from './pool.js';

/** The learner's advisory lock key (an arbitrary constant: "rl_lea"): held by the one node that learns, and by `bandit replay`. */
export const LEARNER_LOCK = 0x726c5f6c6561;

/**
 * A session-level advisory lock on a connection of its own (not the pool's: a pooled connection goes
 * back to the pool and would carry the lock to whoever borrows it next). The holder keeps the lock for
 * as long as this connection lives; when its process dies or the connection drops, PostgreSQL releases
 * it and another node's tryAcquire succeeds. Used to elect the one learner of a deployment.
 */
export class PgLeaderLock {
  #client: pg.Client | null = null;
  #held = false;

  constructor(
    private readonly url: string,
    private readonly key: number,
    private readonly name = 'harmonizer-leader',
  ) {}

  get held(): boolean {
    return this.#held;
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const c = new pg.Client({ connectionString: this.url, application_name: this.name, ...CONNECTION_OPTIONS });
    // A dropped connection has lost the lock with it: the next check says so.
    c.on('error', () => {
      if (this.#client === c) this.#drop();
    });
    c.on('end', () => {
      if (this.#client === c) this.#drop();
    });
    await c.connect();
    this.#client = c;
    return c;
  }

  #drop(): void {
    const c = this.#client;
    this.#client = null;
    this.#held = false;
    void c?.end().catch(() => {});
  }

  /**
   * Takes the lock if it is free; when it is already held here, checks that the connection (and so the
   * lock) is still alive. Returns whether this node holds it. Never throws: an unreachable server is
   * "not held".
   */
  async tryAcquire(): Promise<boolean> {
    try {
      const c = await this.#connect();
      if (this.#held) {
        await c.query('SELECT 1');
        return this.#held;
      }
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.key]);
      this.#held = r.rows[0]?.ok === true && this.#client === c;
      return this.#held;
    } catch {
      this.#drop();
      return false;
    }
  }

  /** Releases the lock by closing its connection. */
  async close(): Promise<void> {
    const c = this.#client;
    this.#client = null;
    this.#held = false;
    await c?.end().catch(() => {});
  }
}
