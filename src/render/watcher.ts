import { mkdirSync } from 'node:fs';
import chokidar from 'chokidar';
import type { Config } from '../shared/config.js';
import { createRenderStack } from './stack.js';

export interface WatchOptions {
  pre: number;
  post: number;
  /** Periodic sweep that catches anything a file event missed (ms). */
  sweepMs?: number;
  /** Lease of claimed snippets (ms). */
  leaseMs?: number;
  log?: (line: string) => void;
  /** Aborting finishes the in-flight batch, releases leases and resolves. */
  signal: AbortSignal;
}

/** Debounce after a file event: the writer merges new events into jump_events a moment after it mirrors them. */
const WAKE_DEBOUNCE_MS = 100;

/**
 * The render daemon: chokidar watches the JSONL mirror (new events) and the tracks folder (a track
 * registered late makes waiting snippets renderable); each wake enqueues new events and renders
 * pending snippets in batches until none is left. One log line per batch.
 *
 * On PostgreSQL (RL_DATABASE_URL) any number of watchers on any machines share the queue: each claims
 * disjoint snippets (FOR UPDATE SKIP LOCKED) and events stored by other nodes' servers are picked up
 * by the sweep (their mirrors are not this node's file). Rendered files go to $RL_DATA_DIR/snippets,
 * which must be one shared filesystem mounted at the same path on every node (see createRenderStack).
 */
export async function runWatcher(config: Config, opts: WatchOptions): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const paths = config.paths;
  mkdirSync(paths.tracks, { recursive: true });
  const stack = await createRenderStack(config, { pre: opts.pre, post: opts.post, ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}) });
  // A batch is one pipeline (RenderQueue.runBatch) and one log line; large enough that the pool is
  // not drained every few snippets, small enough that new events join within a second or so.
  const batchSize = Math.max(64, config.threads * 64);

  let wake: (() => void) | null = null;
  let debounce: NodeJS.Timeout | null = null;
  const poke = () => {
    if (debounce) return;
    debounce = setTimeout(() => {
      debounce = null;
      wake?.();
    }, WAKE_DEBOUNCE_MS);
  };
  const watcher = chokidar.watch([paths.jsonl, paths.tracks], { ignoreInitial: true, depth: 0 });
  watcher.on('add', poke).on('change', poke);
  const onAbort = () => wake?.();
  opts.signal.addEventListener('abort', onAbort);

  log(`watching ${paths.jsonl} and ${paths.tracks} (sweep every ${(opts.sweepMs ?? 2000) / 1000} s)`);
  try {
    while (!opts.signal.aborted) {
      let pending = 0;
      try {
        pending = await stack.queue.refresh();
      } catch (err) {
        log(`queue refresh failed (retrying): ${(err as Error).message}`);
      }
      if (pending > 0) {
        let b;
        try {
          b = await stack.queue.runBatch(batchSize, undefined, opts.signal);
        } catch (err) {
          // The store refused (a full disk, a lock held too long): the leases come back by themselves;
          // wait a sweep instead of spinning on the same error.
          log(`batch failed (retrying after the sweep): ${(err as Error).message}`);
          try {
            await stack.queue.release();
          } catch {
            // they expire instead
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, opts.sweepMs ?? 2000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          continue;
        }
        log(`batch: ${b.rendered} rendered, ${b.failed} failed, ${b.retrying} to retry, ${b.skipped} skipped in ${b.ms.toFixed(0)} ms (${Math.max(0, pending - b.rendered - b.failed - b.retrying - b.skipped)} due)`);
        continue;
      }
      // Sleep until the next sweep, or sooner when a snippet backing off becomes due before it.
      let sleepMs = opts.sweepMs ?? 2000;
      try {
        const next = await stack.queue.nextRetryAt();
        if (next !== null) sleepMs = Math.max(0, Math.min(sleepMs, next - Date.now()));
      } catch {
        // the sweep will try again
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    if (debounce) clearTimeout(debounce);
    await watcher.close();
    let released = 0;
    try {
      released = await stack.queue.release();
    } catch (err) {
      log(`could not release leases (they expire instead): ${(err as Error).message}`);
    }
    await stack.close();
    log(`watcher stopped${released ? ` (released ${released} leases)` : ''}`);
  }
}
