import { randomUUID } from 'node:crypto';
import { errors, isHarmonizerError } from '../shared/errors.js';
import type { RenderJob, StoreApi } from '../store/index.js';
import type { RenderOutcome } from '../store/snippets.js';
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
  /** Renders kept in flight, 1..1024 (default 16; the stack passes 8 per thread). */
  concurrency?: number;
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
const DEFAULT_CONCURRENCY = 16;
/** Outcomes per recording transaction, and the longest an outcome waits to be recorded. */
const FLUSH_AT = 64;
const FLUSH_MS = 50;

/**
 * Drives the snippet queue: enqueue new jump events, lease due snippets, render them through the
 * pool, record the outcomes, on either store: on SQLite each call is a short synchronous transaction
 * (the server and this renderer share the file), on PostgreSQL any number of renderers on any
 * machines share the queue (claims skip each other's locked rows).
 */
export class RenderQueue {
  readonly owner = `render-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: StoreApi,
    private readonly renderer: SnippetRenderer,
    private readonly opts: QueueOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 1024) {
      throw errors.invalidArgument(`RenderQueue: concurrency must be an integer from 1 to 1024 (got ${String(opts.concurrency)})`);
    }
  }

  /** Enqueues new events; returns how many snippets are due (pending and not waiting out a retry delay). */
  async refresh(): Promise<number> {
    const now = this.now();
    await this.store.snippets.enqueueNew(now, this.opts.share ?? 1);
    await this.store.snippets.releaseExpired(now);
    return this.store.snippets.dueCount(now);
  }

  /** When the next snippet backing off after a temporary failure becomes due (ms), or null. */
  nextRetryAt(): Promise<number | null> {
    return this.store.snippets.nextAttemptAt(this.now());
  }

  /**
   * Renders up to `limit` snippets as one pipeline: leases `concurrency` more whenever the local
   * backlog falls below that (a leased snippet waits at most about 2 · concurrency renders before it
   * starts: far inside any lease, even a short one on a slow machine), keeps `concurrency` renders in
   * flight (so the pool's threads never wait on the main thread), and records outcomes in batched
   * transactions (one commit per FLUSH_AT outcomes or FLUSH_MS: one `record` call each, on SQLite a
   * synchronous transaction, on PostgreSQL one transaction; renders keep running meanwhile). `onDone`
   * fires per snippet once its outcome is recorded. Stops early when nothing due is left to lease, or
   * when `signal` aborts: then the renders in flight finish and are recorded, and the leased snippets
   * not started stay leased until release(). A store error (a full disk, a lock held too long) is
   * thrown; outcomes not recorded then come back when their leases expire and render again.
   */
  async runBatch(limit: number, onDone?: (job: RenderJob, ok: boolean) => void, signal?: AbortSignal): Promise<BatchSummary> {
    const t0 = performance.now();
    const summary: BatchSummary = { rendered: 0, failed: 0, retrying: 0, skipped: 0, ms: 0 };
    const backlog: RenderJob[] = [];
    const done: { job: RenderJob; outcome: RenderOutcome }[] = [];
    let leased = 0;
    let exhausted = false;
    let inFlight = 0;
    let settled = 0;
    let wake: (() => void) | null = null;
    let lastFlush = performance.now();

    // Only the loop below calls flush, one at a time: a batch is recorded before the next is taken.
    const flush = async () => {
      lastFlush = performance.now();
      if (done.length === 0) return;
      const batch = done.splice(0);
      const states = await this.store.snippets.record(this.owner, this.now(), batch.map((d) => d.outcome), retryDelayMs);
      for (let i = 0; i < batch.length; i++) {
        const st = states[i];
        const kind = st === null ? 'skipped' : st === 'rendered' ? 'rendered' : st === 'pending' ? 'retrying' : 'failed';
        summary[kind]++;
        onDone?.(batch[i]!.job, kind === 'rendered');
      }
    };
    const start = (job: RenderJob) => {
      inFlight++;
      void this.attempt(job).then((outcome) => {
        done.push({ job, outcome });
        inFlight--;
        settled++;
        const w = wake;
        wake = null;
        w?.();
      });
    };

    let failed = true;
    try {
      for (;;) {
        if (signal?.aborted) backlog.length = 0;
        else if (backlog.length < this.concurrency && !exhausted && leased < limit) {
          // Outcomes first: their commit and the lease share the moment the main thread is busy anyway.
          await flush();
          const want = Math.min(this.concurrency, limit - leased);
          const jobs = await this.store.snippets.claim(this.owner, want, this.now(), this.leaseMs);
          leased += jobs.length;
          if (jobs.length < want) exhausted = true;
          backlog.push(...jobs);
        }
        while (inFlight < this.concurrency && backlog.length > 0) start(backlog.shift()!);
        if (inFlight === 0 && backlog.length === 0 && (exhausted || leased >= limit || signal?.aborted)) break;
        if (settled === 0) await new Promise<void>((r) => (wake = r));
        settled = 0;
        if (done.length >= FLUSH_AT || performance.now() - lastFlush >= FLUSH_MS) await flush();
      }
      failed = false;
    } finally {
      if (failed) {
        try {
          await flush();
        } catch {
          // the error already on its way out is the one to report
        }
      }
    }
    await flush();
    summary.ms = performance.now() - t0;
    return summary;
  }

  /** Renders one leased job; never throws: the outcome says what to record. */
  private async attempt(job: RenderJob): Promise<RenderOutcome> {
    const fail = (error: string, permanent: boolean): RenderOutcome => ({ event_id: job.event_id, ok: false, error, permanent });
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
      return {
        event_id: job.event_id,
        ok: true,
        meta: {
          path: r.path,
          duration_s: r.durationS,
          splice_offset_s: r.spliceOffsetS,
          pre_s: this.opts.pre,
          post_s: this.opts.post,
          crossfade_ms: r.fadeS * 1000,
          render_ms: r.renderMs,
        },
      };
    } catch (err) {
      const reason = isHarmonizerError(err) ? `${err.code}: ${err.message}` : `unexpected: ${(err as Error).message}`;
      return fail(reason, !isTemporaryFailure(err));
    }
  }

  /** Puts every failed snippet back in the queue, due now; returns how many. */
  retryFailed(): Promise<number> {
    return this.store.snippets.retryFailed(this.now());
  }

  /** Gives back this renderer's unfinished leases (graceful shutdown). */
  release(): Promise<number> {
    return this.store.snippets.releaseOwner(this.owner, this.now());
  }
}
