import type { Config } from '../shared/config.js';
import { openStore, type StoreApi } from '../store/index.js';
import { PcmCache } from './pcm-cache.js';
import { RenderPool, SnippetRenderer } from './pool.js';
import { RenderQueue } from './queue.js';
import { removeOrphanTemps } from '../shared/temp-files.js';

export interface RenderStack {
  store: StoreApi;
  pool: RenderPool;
  renderer: SnippetRenderer;
  queue: RenderQueue;
  close(): Promise<void>;
}

/**
 * The renderer's parts wired from the configuration: its own store connection (on SQLite the render
 * process is a second writer on the same file, cooperating through WAL and short transactions; on
 * PostgreSQL, with RL_DATABASE_URL, one of any number of renderers on any machines), the worker pool,
 * the shared PCM cache bounded by RL_PCM_CACHE_MB, and the queue.
 *
 * Snippet storage with several renderers: files, under $RL_DATA_DIR/snippets on a filesystem every
 * node mounts (NFS, a cluster filesystem, a shared volume), not bytea in the database. The snippet
 * row holds the file's path, which the labeler serves; every node must therefore see the same
 * RL_DATA_DIR at the same path. Exactly one renderer holds a snippet's lease when it records the
 * outcome, and a file is replaced atomically (written to a temp file, renamed), so a snippet that is
 * rendered again after a lease expired still leaves one file per event.
 */
export async function createRenderStack(config: Config, opts: { pre: number; post: number; threads?: number; leaseMs?: number }): Promise<RenderStack> {
  const paths = config.paths;
  // synchronous=NORMAL on this connection only: in WAL mode its commits are then not fsynced one by
  // one. What a power loss could take is the last recorded outcomes, and those snippets are simply
  // rendered again when their leases expire (the file is replaced atomically): nothing is lost that
  // matters. The server's connections keep FULL. (SQLite only: PostgreSQL commits stay synchronous.)
  const store = await openStore(config, { synchronous: 'NORMAL' });
  // Renderers on several machines may share the folder (PostgreSQL): there only old temp files are orphans.
  removeOrphanTemps(paths.snippets, { shared: store.kind === 'postgres' });
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
      try {
        await queue.release();
      } finally {
        await pool.close({ timeoutMs: 10_000 });
        await store.close();
      }
    },
  };
}
