import { errors } from '../shared/errors.js';
import type { Config } from '../shared/config.js';
import { openStore, storeTarget } from '../store/index.js';
import type { PgStore } from '../store/pg/index.js';
import { ActiveModel, activeModelSource } from '../ingest/active-model.js';
import { startServer, type RunningServer } from '../ingest/server.js';
import type { Route } from '../http/types.js';
import type { IngestDeps } from '../ingest/handlers.js';
import { statfsSync } from 'node:fs';
import { removeOrphanTemps } from '../shared/temp-files.js';
import { DashboardService, dashboardRoutes } from '../dashboard/index.js';
import type { HealthProbes } from '../dashboard/index.js';
import { openLabeler, labelerUrl, resolveLabelerToken, type Labeler } from '../labeler/index.js';
import { trackRoutes } from '../tracks/index.js';
import { AnalysisService } from '../analysis/service.js';
import { ensureDemoTrack } from '../demo/ensure.js';
import { PcmCache, RenderPool, SnippetRenderer } from '../render/index.js';
import { runWatcher } from '../render/watcher.js';
import { playerRoutes } from '../player/routes.js';
import { corsRoutes } from '../http/cors.js';
import { json } from '../http/types.js';
import { LearnerService } from '../learn/index.js';

export interface SystemOptions {
  /** Run the snippet render watcher in this process (what `harmonizer start` does). */
  watcher?: { pre: number; post: number; log?: (line: string) => void };
  /** Make sure the generated demo track is registered before serving. */
  demoTrack?: boolean;
  /** Routes of further concerns. */
  extraRoutes?: (deps: IngestDeps) => Route[];
  /** Run the bandit learner thread (default true). */
  learner?: boolean;
  /** Seeded random source of the session split (simulation). */
  rand?: () => number;
}

export interface RunningSystem {
  server: RunningServer;
  labeler: Labeler;
  learner: LearnerService | null;
  /** The labeler's address; carries the token only when it was generated at start-up. */
  labelerUrl: string;
  /** The dashboard's address; carries the token only when it was generated at start-up. */
  dashboardUrl: string;
  close(): Promise<void>;
}

/** What the dashboard's health banner asks the running server. */
function healthProbes(config: Config, d: IngestDeps): HealthProbes {
  return {
    writable: () => d.writer.health().then((h) => h.ok, () => false),
    diskFreeBytes: () => {
      try {
        const s = statfsSync(config.dataDir);
        return s.bavail * s.bsize;
      } catch {
        return null;
      }
    },
    unavailableLastHour: () => d.metrics.unavailable.total(),
    commitP99Seconds: () => d.metrics.commitQuantile(0.99),
  };
}

/** Reference clips are rendered on demand and rarely: one thread and a small cache suffice. */
const REFERENCE_CACHE_BYTES = 128 * 1024 * 1024;

/**
 * The whole system in one process: ingest server with the tracks, analysis and labeler routes, and
 * optionally the render watcher and the demo track. The one place where the concerns are wired.
 */
export async function startSystem(config: Config, opts: SystemOptions = {}): Promise<RunningSystem> {
  // Temp files of writers killed mid-write (policy.json by a learner, model files by a train).
  // On PostgreSQL the data dir may be shared by every node: there only old temp files are orphans.
  const sharedDir = { shared: config.databaseUrl !== undefined };
  removeOrphanTemps(config.dataDir, sharedDir);
  removeOrphanTemps(config.paths.models, sharedDir);
  // On PostgreSQL the node's one writable store (one pool): the server, the labeler and the tracks share it.
  const shared = config.databaseUrl ? ((await openStore(config)) as PgStore) : undefined;
  // The labeler ranks clips by the active model: on PostgreSQL the store's (promoted on any node), not
  // a model.json only the machine that trained has.
  const labelerModel = shared ? new ActiveModel(activeModelSource(shared)) : undefined;
  if (opts.demoTrack) {
    const store = shared ?? (await openStore(config));
    try {
      await ensureDemoTrack(store, config);
    } catch (err) {
      await shared?.close();
      throw err;
    } finally {
      if (!shared) await store.close();
    }
  }
  // One decode thread for this process: reference clips and analyses decode there (uploads are probed by
  // ffmpeg in a child process, see tracks/probe.ts),
  // never on the event loop that answers beacons (a long MP3 takes a second or more).
  const refPool = new RenderPool({ maxThreads: 1 });
  const pcmCache = new PcmCache({ capacityBytes: REFERENCE_CACHE_BYTES });
  const renderer = new SnippetRenderer({ pool: refPool, cache: pcmCache, outDir: config.paths.snippets, crossfadeMs: config.crossfadeMs });
  const analysis = AnalysisService.fromConfig(config, {
    pcmCache, // shared with the reference clips: a track is decoded once for both
    decode: async (src) => (await refPool.decode({ path: src.path, sha256: src.sha256 })).pcm,
  });
  let labeler: Labeler | undefined;
  let server: RunningServer;
  let learner: LearnerService | null = null;
  let dashboard: DashboardService | undefined;
  // Feedback (labels, listener signals) pokes the learner so rewards reach the policy within a pass.
  const poke = () => learner?.poke();
  const banditStatus = async () => {
    const s = learner?.status() ?? { status: null, error: opts.learner === false ? 'the learner is not running in this process' : null };
    return json(200, { ...s, rewards: await server.deps.store.bandit.rewardCounts() });
  };
  // One labeler token for the process; the operator's token defaults to it.
  const labelerToken = resolveLabelerToken(config);
  const operatorToken = config.dashboardToken ?? labelerToken.token;
  try {
    // Before the server: the labeler's writable store (migrated on open) serves the tracks routes too.
    const l = (labeler = await openLabeler(config, { renderer, onFeedback: poke, resolvedToken: labelerToken, ...(shared ? { store: shared, model: labelerModel! } : {}) }));
    server = await startServer(config, {
      ...(shared ? { pgStore: shared } : {}),
      onFeedback: poke,
      operatorToken,
      ...(opts.rand ? { rand: opts.rand } : {}),
      extraRoutes: (d) => {
        return [
          ...playerRoutes(),
          ...corsRoutes([...trackRoutes({ config, store: l.store, analysis }), { method: 'GET', pattern: '/api/rl/bandit', handler: banditStatus }]),
          ...l.routes,
          ...dashboardRoutes({ service: (dashboard = new DashboardService({ store: storeTarget(config, 2) })), store: d.store, snippetsDir: config.paths.snippets, token: operatorToken, probes: healthProbes(config, d) }),
          ...(opts.extraRoutes?.(d) ?? []),
        ];
      },
    });
    // After the server: its writer thread has migrated the database the learner opens.
    if (opts.learner !== false) learner = await LearnerService.start(config);
  } catch (err) {
    await labeler?.close();
    await Promise.all([analysis.close(), refPool.close({ timeoutMs: 5000 }), learner?.close(), dashboard?.close()]);
    labelerModel?.close();
    await shared?.close();
    throw err;
  }
  const stopWatcher = new AbortController();
  const watcher = opts.watcher
    ? runWatcher(config, { pre: opts.watcher.pre, post: opts.watcher.post, signal: stopWatcher.signal, ...(opts.watcher.log ? { log: opts.watcher.log } : {}) })
    : null;
  const l = labeler!;
  return {
    server,
    labeler: l,
    learner,
    labelerUrl: config.labelerTokens
      ? `${server.url}/rl/labeler?token=<a token of RL_LABELER_TOKENS>`
      : l.generated
        ? labelerUrl(config.host, server.port, l.token)
        : `${server.url}/rl/labeler`,
    dashboardUrl: config.dashboardToken === undefined && l.generated ? `${server.url}/rl/dashboard?token=${encodeURIComponent(operatorToken)}` : `${server.url}/rl/dashboard`,
    async close() {
      stopWatcher.abort();
      await Promise.all([server.close(), watcher, learner?.close()]);
      await dashboard?.close();
      await l.close();
      await Promise.all([analysis.close(), refPool.close({ timeoutMs: 5000 })]);
      labelerModel?.close();
      await shared?.close();
    },
  };
}
