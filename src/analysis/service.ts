/**
 * The analysis service: a track in, its analysis out, computed at most once per content. Layers:
 * the JSON cache on disk (AnalysisCache, keyed by sha256 + ANALYSIS_VERSION) → decode to shared PCM →
 * the worker pool (AnalysisPool). Concurrent requests for the same content and options share one
 * promise that covers the cache read, the decode and the computation (the pool's own key de-duplication
 * only covers the last step). Only default-option results are cached on disk: options such as a fixed
 * threshold are for exploration (the CLI) and would otherwise multiply the files per track.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../shared/config.js';
import { errors, HarmonizerError } from '../shared/errors.js';
import { decodeToShared, type PcmCache } from '../render/index.js';
import type { SharedPcm } from '../render/index.js';
import { AnalysisCache } from './cache.js';
import { resolveOptions, type AnalysisOptions } from './options.js';
import { AnalysisPool } from './pool.js';
import { ANALYSIS_VERSION, type AnalysisResult } from './types.js';

/** What the service needs of a track (a TrackRow fits): its content hash and where the file is. */
export interface AnalysisSource {
  readonly sha256: string;
  readonly path: string;
  /** Names the track in errors. */
  readonly track_id?: string;
}

/** 'ready': a cache file exists; 'running': being computed now; 'failed': the last attempt failed (see `lastError`). */
export type AnalysisState = 'none' | 'running' | 'ready' | 'failed';

export interface AnalysisServiceOptions {
  /** Folder of the JSON cache, normally config.paths.analysis. */
  cacheDir: string;
  /** Worker threads of the pool the service creates on first use, 1..64 (ignored when `pool` is given). Default 1. */
  threads?: number;
  /** A pool to use instead (not closed by `close()`: its owner closes it). */
  pool?: AnalysisPool;
  /** Decoded PCM shared with other users (e.g. the snippet renderer's cache), keyed by sha256. */
  pcmCache?: PcmCache;
  /**
   * Decodes a track into shared memory. Default: `decodeToShared` on the calling thread, verifying the
   * sha256 (about 0.1-0.2 s for a 2.5-minute WAV; pass a RenderPool-backed decoder to keep long MP3
   * decodes off a server's event loop).
   */
  decode?: (src: AnalysisSource) => Promise<SharedPcm>;
}

export interface AnalysisServiceStats {
  /** Calls of get/analyze. */
  requests: number;
  /** Served from the JSON cache. */
  cacheHits: number;
  /** Joined a computation already in flight. */
  joined: number;
  /** Decodes started (a PCM-cache hit is not a decode). */
  decodes: number;
  /** Analyses run in the pool. */
  computed: number;
  failures: number;
}

export interface AnalysisOutcome {
  result: AnalysisResult;
  /** True when read from the JSON cache (the timings are then those of the original computation). */
  cached: boolean;
  /** Wall time of the decode (0 when none was needed). */
  decodeMs: number;
}

const DEFAULT_KEY = JSON.stringify(resolveOptions(undefined));

export class AnalysisService {
  readonly cache: AnalysisCache;
  readonly #threads: number;
  readonly #externalPool: AnalysisPool | undefined;
  #ownPool: AnalysisPool | undefined;
  readonly #pcmCache: PcmCache | undefined;
  readonly #decode: (src: AnalysisSource) => Promise<SharedPcm>;
  readonly #inflight = new Map<string, Promise<AnalysisOutcome>>();
  /** Last failure per sha256 (default options only), cleared by a success: one entry per track at most. */
  readonly #failed = new Map<string, string>();
  readonly #stats: AnalysisServiceStats = { requests: 0, cacheHits: 0, joined: 0, decodes: 0, computed: 0, failures: 0 };
  #closed = false;

  constructor(opts: AnalysisServiceOptions) {
    if (typeof opts !== 'object' || opts === null) throw errors.invalidArgument('AnalysisService: options must be an object');
    this.cache = new AnalysisCache(opts.cacheDir);
    const threads = opts.threads ?? 1;
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64) {
      throw errors.invalidArgument(`AnalysisService: threads must be an integer from 1 to 64 (got ${String(opts.threads)})`);
    }
    if (opts.pool !== undefined && !(opts.pool instanceof AnalysisPool)) throw errors.invalidArgument('AnalysisService: pool must be an AnalysisPool');
    if (opts.decode !== undefined && typeof opts.decode !== 'function') throw errors.invalidArgument('AnalysisService: decode must be a function');
    this.#threads = threads;
    this.#externalPool = opts.pool;
    this.#pcmCache = opts.pcmCache;
    this.#decode = opts.decode ?? (async (src) => (await decodeToShared(src.path, src.sha256)).pcm);
  }

  /** The service wired from the configuration: cache under $RL_DATA_DIR/analysis, RL_THREADS workers. */
  static fromConfig(config: Config, extra: Omit<AnalysisServiceOptions, 'cacheDir'> = {}): AnalysisService {
    return new AnalysisService({ cacheDir: config.paths.analysis, threads: config.threads, ...extra });
  }

  /** The analysis of a track (from the cache, else computed once in the pool and cached). */
  async get(src: AnalysisSource, options?: AnalysisOptions): Promise<AnalysisResult> {
    return (await this.analyze(src, options)).result;
  }

  /**
   * Like `get`, with where the result came from. Options are validated first (INVALID_ARGUMENT naming the
   * option); a missing audio file is NOT_FOUND; decode failures keep DECODE_FAILED.
   */
  analyze(src: AnalysisSource, options?: AnalysisOptions): Promise<AnalysisOutcome> {
    this.#stats.requests++;
    let key: string;
    let cacheable: boolean;
    try {
      if (this.#closed) throw new HarmonizerError('SHUTTING_DOWN', 'the analysis service is closed');
      if (typeof src !== 'object' || src === null || typeof src.path !== 'string') throw errors.invalidArgument('analysis source must have a path and a sha256');
      this.cache.path(src.sha256); // validates the sha256
      const optionsKey = JSON.stringify(resolveOptions(options));
      cacheable = optionsKey === DEFAULT_KEY;
      key = `${src.sha256}:v${ANALYSIS_VERSION}:${optionsKey}`;
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = this.#inflight.get(key);
    if (pending) {
      this.#stats.joined++;
      return pending;
    }
    const p = this.#run(key, src, options, cacheable).then(
      (outcome) => {
        if (cacheable) this.#failed.delete(src.sha256);
        return outcome;
      },
      (err: unknown) => {
        this.#stats.failures++;
        if (cacheable) this.#failed.set(src.sha256, err instanceof Error ? err.message : String(err));
        throw err;
      },
    );
    const shared = p.finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, shared);
    return shared;
  }

  /** Where the default analysis of a track stands. Cheap: a map lookup and at most one stat. */
  status(src: Pick<AnalysisSource, 'sha256'>): AnalysisState {
    if (this.#inflight.has(`${src.sha256}:v${ANALYSIS_VERSION}:${DEFAULT_KEY}`)) return 'running';
    if (this.cache.has(src.sha256)) return 'ready';
    return this.#failed.has(src.sha256) ? 'failed' : 'none';
  }

  /** The message of the last failed default analysis of this content, if the last attempt failed. */
  lastError(src: Pick<AnalysisSource, 'sha256'>): string | undefined {
    return this.#failed.get(src.sha256);
  }

  stats(): AnalysisServiceStats {
    return { ...this.#stats };
  }

  /** Refuses new work, lets running analyses finish (and be cached), then stops the own pool. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight.values()]);
    await this.#ownPool?.close();
  }

  async #run(key: string, src: AnalysisSource, options: AnalysisOptions | undefined, cacheable: boolean): Promise<AnalysisOutcome> {
    if (cacheable) {
      const hit = await this.cache.read(src.sha256);
      if (hit) {
        this.#stats.cacheHits++;
        return { result: hit, cached: true, decodeMs: 0 };
      }
    }
    if (!existsSync(src.path)) throw errors.notFound(`the audio file of track ${src.track_id ?? src.sha256.slice(0, 12)}`);
    const t0 = performance.now();
    const load = () => {
      this.#stats.decodes++;
      return this.#decode(src);
    };
    const pcm = this.#pcmCache ? await this.#pcmCache.get(src.sha256, load) : await load();
    const decodeMs = performance.now() - t0;
    this.#stats.computed++;
    const result = await this.#pool().analyze(key, {
      channels: pcm.channels,
      sampleRate: pcm.sampleRate,
      ...(options === undefined ? {} : { options }),
    });
    if (cacheable) {
      try {
        await this.cache.write(src.sha256, result);
      } catch (err) {
        // The caller still gets its result; the next request recomputes. Worth a line in the log (disk full?).
        console.warn(`analysis cache: cannot write ${this.cache.path(src.sha256)}: ${(err as Error).message}`);
      }
    }
    return { result, cached: false, decodeMs };
  }

  /** The pool, created on first computation so cache hits (and the CLI on a cached track) start no threads. */
  #pool(): AnalysisPool {
    if (this.#externalPool) return this.#externalPool;
    this.#ownPool ??= new AnalysisPool({ maxThreads: this.#threads });
    return this.#ownPool;
  }
}
