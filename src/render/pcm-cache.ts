/**
 * Decoded PCM keyed by the track's sha256, held in SharedArrayBuffers so render workers read it in
 * place. An LRU bounded by BYTES: a 4-minute stereo track is ~85 MB of float32, so counting entries
 * would say nothing about memory. Concurrent requests for the same key share ONE load (in-flight map):
 * a track is decoded once, not once per snippet or per worker.
 *
 * Bytes of loads still in flight are not counted (they are not retained yet); at most one per key.
 * Evicting an entry never invalidates PCM a worker is using: the SAB lives while anyone references it.
 * An entry's bytes are its float channels plus its 16-bit copy (SharedPcm.pcm16): 6 bytes per sample.
 */
import { readFile } from 'node:fs/promises';
import { errors, HarmonizerError } from '../shared/errors.js';
import { decodeFile, sha256Bytes, type DecodedAudio } from './decode.js';
import { temporaryCause } from './failures.js';
import type { SharedPcm } from './messages.js';

export interface PcmCacheOptions {
  /** Capacity in bytes (e.g. RL_PCM_CACHE_MB · 2²⁰). Required: unbounded caches are not allowed. */
  capacityBytes: number;
}

export interface PcmCacheStats {
  hits: number;
  misses: number;
  /** Loads actually started (a miss joined to an in-flight load is not a new load). */
  loads: number;
  evictions: number;
  /** Results larger than the whole capacity: returned to the caller, not retained. */
  oversize: number;
  entries: number;
  bytes: number;
  capacityBytes: number;
}

/** Total bytes of the channel buffers of one PCM entry. */
export function pcmBytes(pcm: SharedPcm): number {
  let n = pcm.pcm16?.byteLength ?? 0;
  for (const c of pcm.channels) n += c.byteLength;
  return n;
}

export class PcmCache {
  readonly capacityBytes: number;
  /** Map iteration order is insertion order: first = least recently used. */
  readonly #entries = new Map<string, SharedPcm>();
  readonly #inflight = new Map<string, Promise<SharedPcm>>();
  #bytes = 0;
  readonly #stats = { hits: 0, misses: 0, loads: 0, evictions: 0, oversize: 0 };

  constructor(opts: PcmCacheOptions) {
    const cap = opts?.capacityBytes;
    if (typeof cap !== 'number' || !Number.isSafeInteger(cap) || cap < 0) {
      throw errors.invalidArgument(`PcmCache: capacityBytes must be a non-negative integer (got ${String(cap)})`);
    }
    this.capacityBytes = cap;
  }

  /**
   * The PCM for `key`, loading it with `load` on a miss. Concurrent calls for a key in flight join the
   * same promise (their `load` is not called). A failed load is not cached: the next call retries.
   * Cost O(1) on a hit; on a miss, the load plus O(evicted entries).
   */
  get(key: string, load: () => Promise<SharedPcm>): Promise<SharedPcm> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#stats.hits++;
      this.#entries.delete(key); // re-insert = most recently used
      this.#entries.set(key, hit);
      return Promise.resolve(hit);
    }
    this.#stats.misses++;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    this.#stats.loads++;
    const p = (async () => {
      try {
        const pcm = await load();
        this.#insert(key, pcm);
        return pcm;
      } finally {
        this.#inflight.delete(key);
      }
    })();
    this.#inflight.set(key, p);
    return p;
  }

  /** The cached entry without loading or touching recency. */
  peek(key: string): SharedPcm | undefined {
    return this.#entries.get(key);
  }

  delete(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    this.#entries.delete(key);
    this.#bytes -= pcmBytes(e);
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  stats(): PcmCacheStats {
    return { ...this.#stats, entries: this.#entries.size, bytes: this.#bytes, capacityBytes: this.capacityBytes };
  }

  #insert(key: string, pcm: SharedPcm): void {
    const size = pcmBytes(pcm);
    if (size > this.capacityBytes) {
      this.#stats.oversize++;
      return;
    }
    this.delete(key);
    for (const [k, e] of this.#entries) {
      if (this.#bytes + size <= this.capacityBytes) break;
      this.#entries.delete(k);
      this.#bytes -= pcmBytes(e);
      this.#stats.evictions++;
    }
    this.#entries.set(key, pcm);
    this.#bytes += size;
  }
}

/** Allocates one channel of `n` float32 samples in a fresh SharedArrayBuffer. */
export function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/** `n` int16 samples in a fresh SharedArrayBuffer. */
export function sharedInt16(n: number): Int16Array {
  return new Int16Array(new SharedArrayBuffer(n * 2));
}

/** Float32Array views over the channels of a SharedPcm. Zero-copy. */
export function pcmViews(pcm: SharedPcm): Float32Array[] {
  return pcm.channels.map((sab) => new Float32Array(sab, 0, pcm.length));
}

/**
 * Reads and decodes a file straight into shared memory, verifying its sha256 when `expectedSha256` is
 * given (the cache is keyed by content: a file that changed on disk must not be cached under the old hash).
 * Runs on the calling thread; the render pool runs it in a worker.
 */
export async function decodeToShared(
  path: string,
  expectedSha256?: string,
  maxPcmBytes?: number,
  opts: { pcm16?: boolean } = {},
): Promise<{ pcm: SharedPcm; decoder: DecodedAudio['decoder'] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  const sha256 = sha256Bytes(bytes);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
    // Temporary: the file is usually being replaced (`track add --replace`) and the row follows.
    throw new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: its sha256 ${sha256} differs from the registered ${expectedSha256}`, {
      cause: temporaryCause('the file changed since it was registered'),
    });
  }
  // With opts.pcm16, the 16-bit copy every snippet's gain-1 segments are taken from (SharedPcm.pcm16):
  // 2 bytes per sample more, made chunk by chunk on the ffmpeg path. Only the renderer asks for it
  // (upload probes and analyses would only pay the memory).
  const d = await decodeFile(path, { bytes, alloc: sharedFloat32, ...(opts.pcm16 ? { alloc16: sharedInt16 } : {}), maxPcmBytes });
  const length = d.channels[0].length;
  const pcm: SharedPcm = {
    sha256,
    sampleRate: d.sampleRate,
    length,
    channels: d.channels.map((c) => c.buffer as SharedArrayBuffer),
    ...(d.pcm16 ? { pcm16: d.pcm16.buffer as SharedArrayBuffer } : {}),
  };
  return { pcm, decoder: d.decoder };
}
