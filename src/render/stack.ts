import type { Config } from '../shared/config.js';
import { Store } from '../store/index.js';
import { PcmCache } from './pcm-cache.js';
import { RenderPool, SnippetRenderer } from './pool.js';
import { RenderQueue } from './queue.js';
import { removeOrphanTemps } from '../shared/temp-files.js';

export interface RenderStack {
  store: Store;
  pool: RenderPool;
  renderer: SnippetRenderer;
  queue: RenderQueue;
  close(): Promise<void>;
}

/**
 * The renderer's parts wired from the configuration: its own store connection (the render process
 * is a second writer on the same SQLite file, cooperating through WAL and short transactions), the
 * worker pool, the shared PCM cache bounded by RL_PCM_CACHE_MB, and the queue.
 */
export function createRenderStack(config: Config, opts: { pre: number; post: number; threads?: number; leaseMs?: number }): RenderStack {
  const paths = config.paths;
  removeOrphanTemps(paths.snippets);
  // synchronous=NORMAL on this connection only: in WAL mode its commits are then not fsynced one by
  // one. What a power loss could take is the last recorded outcomes, and those snippets are simply
  // rendered again when their leases expire (the file is replaced atomically): nothing is lost that
  // matters. The server's connections keep FULL.
  const store = Store.open(paths.db, { synchronous: 'NORMAL' });
  const threads = opts.threads ?? config.threads;
  const pool = new RenderPool({ maxThreads: threads });
  const cache = new PcmCache({ capacityBytes: config.pcmCacheMb * 1024 * 1024 });
  const renderer = new SnippetRenderer({ pool, cache, outDir: paths.snippets, crossfadeMs: config.crossfadeMs });
  // 8 renders in flight per thread: 4 posted to each worker (RenderPool.tasksPerThread) and as many
  // ready behind them, so a worker finishing a task always finds the next one.
  const queue = new RenderQueue(store, renderer, {
    pre: opts.pre,
    post: opts.post,
    share: config.renderShare,
    concurrency: threads * 8,
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
  });
  return {
    store,
    pool,
    renderer,
    queue,
    async close() {
      queue.release();
      await pool.close({ timeoutMs: 10_000 });
      store.close();
    },
  };
}
