import { randomUUID } from 'node:crypto';
import { isHarmonizerError } from '../shared/errors.js';
import type { RenderJob, Store } from '../store/index.js';
import type { SnippetRenderer } from './pool.js';
import { EVENT_ID_PATTERN } from './messages.js';
import { isTemporaryFailure, retryDelayMs } from './failures.js';

export interface QueueOptions {
  /** Seconds of audio before the jump. */
  pre: number;
  /** Seconds after the jump. */
  post: number;
  /** Lease of a claimed snippet; a renderer that dies loses its claims after this long. */
  leaseMs?: number;
  /** Share of the jump events to render (RL_RENDER_SHARE). Default 1. */
  share?: number;
  now?: () => number;
}

export interface BatchSummary {
  rendered: number;
  /** Failed for good (a permanent cause, or the attempt cap). */
  failed: number;
  /** Failed for a temporary cause: pending again after a backoff delay. */
  retrying: number;
  /** Claimed but not recorded: another renderer took over after our lease expired. */
  skipped: number;
  ms: number;
}

const DEFAULT_LEASE_MS = 60_000;

/**
 * Drives the snippet queue: enqueue new jump events, lease pending snippets, render them through
 * the pool, record the outcome. Store calls are short synchronous transactions between awaits, so
 * the server and this renderer can share the SQLite file.
 */
export class RenderQueue {
  readonly owner = `render-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly now: () => number;
  private readonly leaseMs: number;

  constructor(
    private readonly store: Store,
    private readonly renderer: SnippetRenderer,
    private readonly opts: QueueOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Enqueues new events; returns how many snippets are due (pending and not waiting out a retry delay). */
  refresh(): number {
    const now = this.now();
    this.store.snippets.enqueueNew(now, this.opts.share ?? 1);
    this.store.snippets.releaseExpired(now);
    return this.store.snippets.dueCount(now);
  }

  /** When the next snippet backing off after a temporary failure becomes due (ms), or null. */
  nextRetryAt(): number | null {
    return this.store.snippets.nextAttemptAt(this.now());
  }

  /** Claims and renders up to `limit` snippets concurrently; `onDone` fires per snippet. */
  async runBatch(limit: number, onDone?: (job: RenderJob, ok: boolean) => void): Promise<BatchSummary> {
    const t0 = performance.now();
    const jobs = this.store.snippets.claim(this.owner, limit, this.now(), this.leaseMs);
    const summary: BatchSummary = { rendered: 0, failed: 0, retrying: 0, skipped: 0, ms: 0 };
    await Promise.all(
      jobs.map(async (job) => {
        const outcome = await this.renderOne(job);
        summary[outcome]++;
        onDone?.(job, outcome === 'rendered');
      }),
    );
    summary.ms = performance.now() - t0;
    return summary;
  }

  private async renderOne(job: RenderJob): Promise<'rendered' | 'failed' | 'retrying' | 'skipped'> {
    const fail = (reason: string, permanent: boolean) => {
      const state = this.store.snippets.fail(job.event_id, this.owner, reason, this.now(), permanent, retryDelayMs);
      return state === null ? 'skipped' : state === 'pending' ? 'retrying' : 'failed';
    };
    if (job.track_path === null || job.track_sha256 === null || job.track_duration === null) {
      return fail(`unknown track "${job.track_id}": register it with harmonizer track add`, true);
    }
    if (!EVENT_ID_PATTERN.test(job.event_id)) {
      return fail('event_id cannot name a snippet file (allowed: A-Z a-z 0-9 _ -, at most 64)', true);
    }
    for (const [name, t] of [['source_time', job.source_time], ['target_time', job.target_time]] as const) {
      if (t > job.track_duration) {
        return fail(`${name} ${t.toFixed(3)} s lies outside the track (${job.track_duration.toFixed(3)} s)`, true);
      }
    }
    try {
      const r = await this.renderer.render(
        { path: job.track_path, sha256: job.track_sha256 },
        { event_id: job.event_id, sourceTime: job.source_time, targetTime: job.target_time, pre: this.opts.pre, post: this.opts.post },
      );
      const ok = this.store.snippets.complete(
        job.event_id,
        this.owner,
        {
          path: r.path,
          duration_s: r.durationS,
          splice_offset_s: r.spliceOffsetS,
          pre_s: this.opts.pre,
          post_s: this.opts.post,
          crossfade_ms: r.fadeS * 1000,
          render_ms: r.renderMs,
        },
        this.now(),
      );
      return ok ? 'rendered' : 'skipped';
    } catch (err) {
      const reason = isHarmonizerError(err) ? `${err.code}: ${err.message}` : `unexpected: ${(err as Error).message}`;
      return fail(reason, !isTemporaryFailure(err));
    }
  }

  /** Puts every failed snippet back in the queue, due now; returns how many. */
  retryFailed(): number {
    return this.store.snippets.retryFailed(this.now());
  }

  /** Gives back this renderer's unfinished leases (graceful shutdown). */
  release(): number {
    return this.store.snippets.releaseOwner(this.owner, this.now());
  }
}
