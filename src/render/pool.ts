/**
 * The render pool (Piscina over dist/src/render/worker.js) and the SnippetRenderer that feeds it:
 * track → PCM from the byte-bounded cache (decoded once, in a worker, into shared memory) → render task.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Piscina } from 'piscina';
import { errors, HarmonizerError, isHarmonizerError } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import { isTemporaryFailure, temporaryCause } from './failures.js';
import {
  EVENT_ID_PATTERN,
  type DecodeResult,
  type DecodeTask,
  type RenderResult,
  type RenderTask,
  type SharedPcm,
  type SnippetKind,
  type WorkerReply,
} from './messages.js';
import type { PcmCache } from './pcm-cache.js';

export interface RenderPoolOptions {
  /** Worker threads, 1..64 (e.g. config.threads). */
  maxThreads: number;
  /** Worker module; default `distModule('render/worker.js')` (compiled JS: workers cannot load .ts). */
  filename?: string;
  /**
   * Tasks posted to a worker ahead of time, 1..16 (default 4). Renders are synchronous inside the
   * worker, so this does not run them concurrently: it keeps the next task already queued in the
   * worker's port, so a worker does not sit idle for a round trip through a busy main thread after
   * each ~2 ms task (the main thread shares 2 cores with the workers). If a worker dies, its queued
   * tasks fail with it (RENDER_FAILED), never hang.
   */
  tasksPerThread?: number;
}

/** The worker's value, or its failure as a HarmonizerError whose cause keeps it temporary or not. */
function unwrap<T>(reply: WorkerReply<T>): T {
  if (reply.ok) return reply.value;
  const cause = reply.osCode !== undefined
    ? Object.assign(new Error(reply.message), { code: reply.osCode })
    : reply.temporary
      ? temporaryCause(reply.message)
      : undefined;
  throw new HarmonizerError(reply.code, reply.message, cause === undefined ? {} : { cause });
}

/** How long an idle thread beyond minThreads would stay (none: minThreads = maxThreads). */
export const POOL_IDLE_MS = 30_000;

export class RenderPool {
  readonly #pool: Piscina<RenderTask | DecodeTask, WorkerReply<RenderResult> | WorkerReply<DecodeResult>>;
  #closed = false;

  constructor(opts: RenderPoolOptions) {
    const n = opts?.maxThreads;
    if (!Number.isSafeInteger(n) || n < 1 || n > 64) {
      throw errors.invalidArgument(`RenderPool: maxThreads must be an integer from 1 to 64 (got ${String(n)})`);
    }
    if (opts.filename !== undefined && (typeof opts.filename !== 'string' || opts.filename === '')) {
      throw errors.invalidArgument('RenderPool: filename must be a non-empty path');
    }
    const perThread = opts.tasksPerThread ?? 4;
    if (!Number.isSafeInteger(perThread) || perThread < 1 || perThread > 16) {
      throw errors.invalidArgument(`RenderPool: tasksPerThread must be an integer from 1 to 16 (got ${String(perThread)})`);
    }
    this.#pool = new Piscina({
      filename: opts.filename ?? distModule('render/worker.js'),
      // Every thread starts at once and lives as long as the pool: a thread costs ~100 ms of module
      // load to start (a pool that shrinks between batches and grows again pays it over and over),
      // and ending threads hot is what Node 20 can abort on (see shared/worker-exit.ts). They start
      // while the caller opens its store and decodes, so the first renders find them ready.
      minThreads: n,
      maxThreads: n,
      concurrentTasksPerWorker: perThread,
      idleTimeout: POOL_IDLE_MS,
      // Bound the queue to keep memory bounded if a caller floods it; callers await anyway.
      maxQueue: 10_000,
    });
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  /** Pending tasks waiting for a thread. */
  get queueSize(): number {
    return this.#pool.queueSize;
  }

  /**
   * Renders one snippet in a worker. Rejects with the worker's HarmonizerError (RENDER_FAILED,
   * INVALID_ARGUMENT, ...) or RENDER_FAILED when the worker itself died or the pool is closed.
   */
  async render(task: RenderTask): Promise<RenderResult> {
    const reply = await this.#run(task, 'default', 'RENDER_FAILED', `render of event ${task.event_id}`);
    return unwrap(reply as WorkerReply<RenderResult>);
  }

  /** Decodes a track in a worker into SharedArrayBuffers; verifies the sha256 when given. */
  async decode(task: DecodeTask): Promise<DecodeResult> {
    const reply = await this.#run(task, 'decode', 'DECODE_FAILED', `decode of ${task.path}`);
    return unwrap(reply as WorkerReply<DecodeResult>);
  }

  async #run(
    task: RenderTask | DecodeTask,
    name: string,
    code: 'RENDER_FAILED' | 'DECODE_FAILED',
    what: string,
  ): Promise<WorkerReply<RenderResult> | WorkerReply<DecodeResult>> {
    if (this.#closed) throw new HarmonizerError(code, `${what}: the render pool is closed`, { cause: temporaryCause('pool closed') });
    try {
      // SharedArrayBuffers inside the task are shared by postMessage, not copied; no transferList needed.
      return await this.#pool.run(task, { name });
    } catch (e) {
      // Worker replies never throw, so anything here is the worker dying, the queue, or the pool
      // closing: nothing about the snippet itself, so a retry may succeed.
      throw new HarmonizerError(code, `${what}: render worker failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: temporaryCause('render worker failed', e),
      });
    }
  }

  /**
   * Stops the pool: waits for running tasks up to `timeoutMs` (default 10 s), then terminates the
   * workers. Idempotent.
   */
  async close(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([this.#pool.close().then(() => 'closed' as const), timedOut]);
      if (r === 'timeout') await this.#pool.destroy();
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A registered track, as far as rendering cares: where the file is and what its bytes hash to. */
export interface TrackRef {
  readonly sha256: string;
  readonly path: string;
}

export interface JumpSpec {
  readonly event_id: string;
  /** Default 'jump'. */
  readonly kind?: SnippetKind;
  readonly sourceTime: number;
  readonly targetTime: number;
  /** Seconds before the jump. */
  readonly pre: number;
  /** Seconds after the jump. */
  readonly post: number;
  /** Default: the renderer's crossfadeMs. */
  readonly crossfadeMs?: number;
}

export interface SnippetRendererOptions {
  pool: RenderPool;
  cache: PcmCache;
  /** Folder of the snippets (created on first use), e.g. config.paths.snippets. */
  outDir: string;
  /** Default crossfade (config.crossfadeMs, RL_CROSSFADE_MS). */
  crossfadeMs: number;
  /** Refuse tracks whose decoded PCM exceeds this (default 2 GiB). */
  maxPcmBytes?: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;
/** How long a track's decode failure is remembered before a snippet of it tries again. */
export const DECODE_FAILURE_TTL_MS = 5 * 60_000;
const MAX_REMEMBERED_FAILURES = 256;

/**
 * Renders jump / reference snippets of registered tracks. Each track is decoded once (in a worker)
 * and kept in the shared PCM cache; concurrent snippets of one track wait for the same decode.
 */
export class SnippetRenderer {
  readonly #pool: RenderPool;
  readonly #cache: PcmCache;
  readonly #outDir: string;
  readonly #crossfadeMs: number;
  readonly #maxPcmBytes: number | undefined;
  #outDirReady: Promise<unknown> | undefined;
  /** Recent decode failures by "sha256 path" (oldest first, at most MAX_REMEMBERED_FAILURES). */
  readonly #failures = new Map<string, { err: HarmonizerError; until: number }>();

  constructor(opts: SnippetRendererOptions) {
    if (!(opts?.pool instanceof RenderPool)) throw errors.invalidArgument('SnippetRenderer: pool must be a RenderPool');
    if (!opts.cache || typeof opts.cache.get !== 'function') throw errors.invalidArgument('SnippetRenderer: cache must be a PcmCache');
    if (typeof opts.outDir !== 'string' || opts.outDir === '') throw errors.invalidArgument('SnippetRenderer: outDir must be a non-empty path');
    checkCrossfade(opts.crossfadeMs, 'SnippetRenderer: crossfadeMs');
    if (opts.maxPcmBytes !== undefined && !(Number.isSafeInteger(opts.maxPcmBytes) && opts.maxPcmBytes > 0)) {
      throw errors.invalidArgument('SnippetRenderer: maxPcmBytes must be a positive integer');
    }
    this.#pool = opts.pool;
    this.#cache = opts.cache;
    this.#outDir = resolve(opts.outDir);
    this.#crossfadeMs = opts.crossfadeMs;
    this.#maxPcmBytes = opts.maxPcmBytes;
  }

  get outDir(): string {
    return this.#outDir;
  }

  /**
   * The track's PCM: from the cache, or decoded once in a worker. Throws DECODE_FAILED; a permanent
   * failure (content no decoder reads) is remembered for DECODE_FAILURE_TTL_MS, so the other snippets
   * of a corrupt track fail at once instead of each decoding it again (the file is content-addressed,
   * so the decoders would fail the same way). Temporary ones (I/O) are not remembered: the queue's
   * backoff spaces their retries.
   */
  pcm(track: TrackRef): Promise<SharedPcm> {
    checkTrack(track);
    const key = track.sha256.toLowerCase();
    const failureKey = `${key} ${track.path}`;
    const failed = this.#failures.get(failureKey);
    if (failed && failed.until > Date.now()) return Promise.reject(failed.err);
    this.#failures.delete(failureKey);
    return this.#cache
      .get(key, async () => {
        const r = await this.#pool.decode({ path: track.path, sha256: key, maxPcmBytes: this.#maxPcmBytes, pcm16: true });
        return r.pcm;
      })
      .catch((err: unknown) => {
        if (isHarmonizerError(err) && err.code === 'DECODE_FAILED' && !isTemporaryFailure(err)) {
          if (this.#failures.size >= MAX_REMEMBERED_FAILURES) this.#failures.delete(this.#failures.keys().next().value!);
          this.#failures.set(failureKey, { err, until: Date.now() + DECODE_FAILURE_TTL_MS });
        }
        throw err;
      });
  }

  /**
   * Renders one snippet to `<outDir>/<event_id>.wav` (or `.ref.wav`). Options are validated here
   * (INVALID_ARGUMENT naming the field); times outside the track fail with RENDER_FAILED; an
   * undecodable track with DECODE_FAILED.
   */
  async render(track: TrackRef, spec: JumpSpec): Promise<RenderResult> {
    const kind = spec?.kind ?? 'jump';
    if (typeof spec?.event_id !== 'string' || !EVENT_ID_PATTERN.test(spec.event_id)) {
      throw errors.invalidArgument(`event_id must match ${EVENT_ID_PATTERN} (got ${JSON.stringify(spec?.event_id)})`);
    }
    if (kind !== 'jump' && kind !== 'reference') throw errors.invalidArgument(`kind must be 'jump' or 'reference' (got ${String(kind)})`);
    for (const f of ['sourceTime', 'targetTime', 'pre', 'post'] as const) {
      const v = spec[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw errors.invalidArgument(`${f} must be a finite number of seconds (got ${String(v)})`);
    }
    if (spec.pre < 0 || spec.post < 0) throw errors.invalidArgument('pre and post must be ≥ 0 seconds');
    if (spec.pre + spec.post <= 0) throw errors.invalidArgument('pre + post must be > 0 seconds');
    const crossfadeMs = spec.crossfadeMs ?? this.#crossfadeMs;
    checkCrossfade(crossfadeMs, 'crossfadeMs');

    this.#outDirReady ??= mkdir(this.#outDir, { recursive: true }).catch((e: Error) => {
      this.#outDirReady = undefined; // retry next time
      throw new HarmonizerError('RENDER_FAILED', `cannot create ${this.#outDir}: ${e.message}`, { cause: e });
    });
    const [pcm] = await Promise.all([this.pcm(track), this.#outDirReady]);
    return this.#pool.render({
      event_id: spec.event_id,
      kind,
      sourceTime: spec.sourceTime,
      targetTime: spec.targetTime,
      pre: spec.pre,
      post: spec.post,
      crossfadeMs,
      pcm,
      outDir: this.#outDir,
    });
  }
}

function checkCrossfade(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1000) {
    throw errors.invalidArgument(`${name} must be a number of milliseconds from 0 to 1000 (got ${String(v)})`);
  }
}

function checkTrack(track: TrackRef): void {
  if (typeof track?.path !== 'string' || track.path === '') throw errors.invalidArgument('track.path must be a non-empty path');
  if (typeof track.sha256 !== 'string' || !SHA256_HEX.test(track.sha256)) throw errors.invalidArgument('track.sha256 must be 64 hex digits');
}
