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
  const store = Store.open(paths.db);
  const pool = new RenderPool({ maxThreads: opts.threads ?? config.threads });
  const cache = new PcmCache({ capacityBytes: config.pcmCacheMb * 1024 * 1024 });
  const renderer = new SnippetRenderer({ pool, cache, outDir: paths.snippets, crossfadeMs: config.crossfadeMs });
  const queue = new RenderQueue(store, renderer, { pre: opts.pre, post: opts.post, share: config.renderShare, ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}) });
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
