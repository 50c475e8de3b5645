import pg from 'pg';
import { HarmonizerError } from '../../shared/errors.js';
import { CONNECTION_OPTIONS } from './pool.js';

/**
 * Who may write as the leader: the advisory lock's key and the server process of the connection that
 * holds it (null when not held). A write checks in its own transaction that this process still holds
 * the lock (pg_locks), so a node that lost it (its lock connection dropped, another node took over)
 * and has not noticed yet cannot write as the leader meanwhile.
 */
export interface LeaderFence {
  readonly key: number;
  holderPid(): number | null;
}

/** Throws CONFLICT unless the fence's connection holds its advisory lock now (run inside the write's transaction). */
export async function checkFence(c: Pick<pg.ClientBase, 'query'>, fence: LeaderFence, doing: string): Promise<void> {
  const pid = fence.holderPid();
  // A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low 32 bits), objsubid 1.
  const held =
    pid !== null &&
    (await c.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1 AND classid = $2 AND objid = $3 AND objsubid = 1`,
      [pid, Math.floor(fence.key / 2 ** 32), fence.key % 2 ** 32],
    )).rowCount === 1;
  if (!held) throw new HarmonizerError('CONFLICT', `not ${doing}: this node no longer holds the learner lock (another node learns now)`);
}

/** The learner's advisory lock key (an arbitrary constant: "rl_lea"): held by the one node that learns, and by `bandit replay`. */
export const LEARNER_LOCK = 0x726c5f6c6561;

/**
 * A session-level advisory lock on a connection of its own (not the pool's: a pooled connection goes
 * back to the pool and would carry the lock to whoever borrows it next). The holder keeps the lock for
 * as long as this connection lives; when its process dies or the connection drops, PostgreSQL releases
 * it and another node's tryAcquire succeeds. Used to elect the one learner of a deployment.
 */
export class PgLeaderLock implements LeaderFence {
  #client: pg.Client | null = null;
  #held = false;
  /** The server process of the lock's connection (pg_locks names the holder by it). */
  #pid: number | null = null;

  constructor(
    private readonly url: string,
    readonly key: number,
    private readonly name = 'harmonizer-leader',
  ) {}

  get held(): boolean {
    return this.#held;
  }

  holderPid(): number | null {
    return this.#held ? this.#pid : null;
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
    this.#pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
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
