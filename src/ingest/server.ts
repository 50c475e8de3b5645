import { mkdirSync } from 'node:fs';
import type { Config } from '../shared/config.js';
import { Store, sqliteApi, type StoreApi } from '../store/index.js';
import { Router } from '../http/router.js';
import { listen } from '../http/uws.js';
import type { Route } from '../http/types.js';
import { GroupCommitWriter, InlineBackend, WorkerBackend, type WriteBackend } from './writer.js';
import { registerPolicyMetrics } from '../telemetry/policy-metrics.js';
import { IngestMetrics } from './metrics.js';
import { ActiveModel, activeModelSource, activePolicySource } from './active-model.js';
import { ingestRoutes, type IngestDeps } from './handlers.js';
import { PgBackend } from './pg-backend.js';
import { openPgPool, pgStore, redacted, type PgStore } from '../store/pg/index.js';
import type { ReplayResult } from './recovery.js';

export interface ServerOptions {
  /** Commit on the event-loop thread instead of the writer thread (tests, tools). */
  inlineWriter?: boolean;
  /** Routes of other concerns (labeler, tracks, pages), given the ingest dependencies. */
  extraRoutes?: (deps: IngestDeps) => Route[];
  /** Called when listener signals were stored (the learner's poke). */
  onFeedback?: () => void;
  /**
   * The token that unlocks the operator's parts of /api/rl/telemetry (labeler names and counts).
   * Without one they are never served.
   */
  operatorToken?: string;
  now?: () => number;
  rand?: () => number;
  /**
   * On PostgreSQL: the process's store, shared with its other concerns (the labeler), so a node holds one
   * pool of RL_DB_POOL connections instead of one per concern. The server uses its pool and leaves it open.
   */
  pgStore?: PgStore;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly recovered: ReplayResult;
  readonly deps: IngestDeps;
  readonly router: Router;
  /** Stop accepting, answer in-flight requests, flush the write queue, close the database. */
  close(): Promise<void>;
}

/** Connections of a PostgreSQL node's group-commit pool: one commit at a time, plus assignment and health. */
const WRITE_POOL = 3;

/** Builds the ingest dependencies and router without a socket (handler tests use this). */
export async function createApp(config: Config, opts: ServerOptions = {}) {
  const paths = config.paths;
  mkdirSync(config.dataDir, { recursive: true });
  const rejectedMaxBytes = Math.round(config.rejectedMaxMb * 1024 * 1024);
  const init = { dbPath: paths.db, jsonlPath: paths.jsonl, cacheMb: 256, rejectedMaxBytes };
  // RL_DATABASE_URL: an ingest node on PostgreSQL (its mirror stays local); otherwise the SQLite writer.
  // The group commit has a small pool of its own (it commits one group at a time; assignment and health
  // probes beside it): reads, however many a busy dashboard or telemetry client sends, never hold the
  // connections a beacon's commit waits for.
  const shared = config.databaseUrl ? opts.pgStore : undefined;
  const writePool = config.databaseUrl ? openPgPool(config.databaseUrl, Math.min(WRITE_POOL, config.dbPool)) : null;
  const pool = shared ? shared.pool : config.databaseUrl ? openPgPool(config.databaseUrl, config.dbPool) : null;
  let backend: WriteBackend;
  try {
    backend = writePool
      ? await PgBackend.start({ pool: writePool, jsonlPath: paths.jsonl, nodeId: config.nodeId, rejectedMaxBytes })
      : opts.inlineWriter
        ? new InlineBackend(init)
        : await WorkerBackend.start(init);
  } catch (err) {
    await writePool?.end();
    if (!shared) await pool?.end();
    throw err;
  }
  let writer: GroupCommitWriter | undefined;
  const metrics = new IngestMetrics(() => writer?.depth() ?? 0);
  writer = new GroupCommitWriter(backend, {
    maxEvents: config.commitMaxEvents,
    maxDelayMs: config.commitMaxDelayMs,
    maxQueued: config.writeQueueMax,
    onCommit: (r) => {
      metrics.batchSize.observe(r.inserted + r.duplicates);
      metrics.commitSeconds.observe(r.commitMs / 1000);
      if (r.inserted) metrics.events.inc({ outcome: 'accepted' }, r.inserted);
      if (r.duplicates) metrics.events.inc({ outcome: 'duplicate' }, r.duplicates);
      if (r.rejected) metrics.events.inc({ outcome: 'rejected' }, r.rejected);
      if (r.rejectedDropped) metrics.rejectedDropped.inc(r.rejectedDropped);
    },
  });
  // The node's reads: the writer thread migrated the SQLite file; PgBackend.start migrated PostgreSQL.
  const store: StoreApi = shared ?? (pool ? pgStore(pool, redacted(config.databaseUrl!)) : sqliteApi(Store.open(paths.db, { readonly: true }), paths.db));
  registerPolicyMetrics(metrics.registry, store);
  const deps: IngestDeps = {
    config,
    writer,
    store,
    metrics,
    // On PostgreSQL the active versions are the store's (every node follows the elected learner's promotions).
    model: new ActiveModel(pool ? activeModelSource(store) : paths.model),
    policy: new ActiveModel(pool ? activePolicySource(store) : paths.policy),
    ...(opts.onFeedback ? { onFeedback: opts.onFeedback } : {}),
    ...(opts.operatorToken ? { operatorToken: opts.operatorToken } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.rand ? { rand: opts.rand } : {}),
  };
  const routes = [...ingestRoutes(deps), ...(opts.extraRoutes?.(deps) ?? [])];
  // Requests are counted per route pattern and status (patterns, not raw paths, keep label
  // cardinality bounded).
  const router = new Router(routes, { onResponse: (route, res) => metrics.countRequest(route.pattern, res.status) });
  await Promise.all([deps.model.ready(), deps.policy.ready()]);
  const close = async () => {
    deps.model.close();
    deps.policy.close();
    await writer.close();
    await writePool?.end();
    // The read store's pool, unless the caller owns it.
    if (!shared) await store.close();
  };
  return { deps, router, recovered: backend.recovered, close };
}

/** Starts the HTTP server on config.host:config.port (0 = ephemeral). */
export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const app = await createApp(config, opts);
  let server;
  try {
    server = await listen(app.router, config.host, config.port, { bodyBudgetBytes: config.bodyBudgetMb * 1024 ** 2 });
  } catch (err) {
    await app.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    port: server.port,
    url: `http://${config.host}:${server.port}`,
    recovered: app.recovered,
    deps: app.deps,
    router: app.router,
    close: () =>
      (closing ??= (async () => {
        await server.stopAccepting();
        await app.close();
      })()),
  };
}
