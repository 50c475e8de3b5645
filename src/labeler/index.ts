import type { Config } from '../shared/config.js';
import { publicDir as defaultPublicDir } from '../shared/paths.js';
import { builtAsset } from '../http/assets.js';
import type { Route } from '../http/types.js';
import { openStore, type StoreApi } from '../store/index.js';
import { ActiveModel } from '../ingest/active-model.js';
import { requireLabeler, resolveLabelerToken } from './auth.js';
import {
  LEASE_MS,
  audioHandler,
  labelHandler,
  meHandler,
  nextHandler,
  recentHandler,
  referenceHandler,
  skipHandler,
  leaseHandler,
  undoHandler,
  type HandlerContext,
} from './handlers.js';
import { LABELER_PAGE, LABELER_PAGE_HEADERS } from './page.js';
import { ReferenceClips, type ReferenceRenderer } from './reference.js';
import { UncertaintyRanker, type ModelSource } from './uncertainty.js';

export { resolveLabelerToken, labelerUrl, tokenMatches } from './auth.js';
export { fleissKappa } from './agreement.js';
export { LEASE_MS, RECENT_DECISIONS, renderedClip, type ClipView } from './handlers.js';
export type { ReferenceRenderer } from './reference.js';
export type { ModelSource } from './uncertainty.js';

export interface LabelerDeps {
  /** labelsPerClip (RL_LABELS_PER_CLIP) and dataDir (snippets, model.json). */
  config: Config;
  /**
   * A writable store (the ingest server's SQLite store is read-only): on SQLite a connection of its
   * own, whose short transactions share the file with the ingest writer thread; on PostgreSQL a pool.
   */
  store: StoreApi;
  token: string;
  /** Default config.paths.snippets. */
  snippetsDir?: string;
  /** Folder of the bundled labeler.js; default dist/public. */
  publicDir?: string;
  /** The active model for "most uncertain first"; default model.json under the data dir. */
  model?: ModelSource;
  /** Renders missing reference clips on demand (a SnippetRenderer); without it they are 404. */
  renderer?: ReferenceRenderer;
  now?: () => number;
  /** Default LEASE_MS (2 minutes). */
  leaseMs?: number;
  /** Called after a label is recorded or undone (the learner's poke). */
  onFeedback?: () => void;
}

const API = '/api/rl/labeler';
const MAX_API_BODY = 16 * 1024;

/**
 * The labeler's routes: the page (public: it holds no data) and its API and audio (token required).
 * Mount with `createApp(config, { extraRoutes: () => labelerRoutes(deps) })`.
 */
export function labelerRoutes(deps: LabelerDeps): Route[] {
  const now = deps.now ?? Date.now;
  const snippetsDir = deps.snippetsDir ?? deps.config.paths.snippets;
  const ctx: HandlerContext = {
    config: deps.config,
    store: deps.store,
    snippetsDir,
    references: new ReferenceClips(deps.store, snippetsDir, deps.renderer, now),
    ranker: new UncertaintyRanker(deps.model ?? new ActiveModel(deps.config.paths.model)),
    now,
    leaseMs: deps.leaseMs ?? LEASE_MS,
    ...(deps.onFeedback ? { onFeedback: deps.onFeedback } : {}),
  };
  const pub = deps.publicDir ?? defaultPublicDir;
  const asset = (file: string, type: string) => builtAsset(pub, file, type);
  // With per-labeler tokens, the shared token is accepted only when set on purpose (RL_LABELER_TOKEN);
  // a generated one then serves the operator's dashboard alone.
  const perLabeler = deps.config.labelerTokens;
  const shared = perLabeler && deps.config.labelerToken === undefined ? undefined : deps.token;
  const guarded = (r: Route): Route => ({ ...r, handler: requireLabeler(shared, perLabeler, r.handler) });
  return [
    { method: 'GET', pattern: '/rl/labeler', handler: () => ({ status: 200, headers: { ...LABELER_PAGE_HEADERS }, body: LABELER_PAGE }) },
    { method: 'GET', pattern: '/rl/labeler/app.js', handler: asset('labeler.js', 'text/javascript; charset=utf-8') },
    { method: 'GET', pattern: '/rl/labeler/labeler.js.map', handler: asset('labeler.js.map', 'application/json; charset=utf-8') },
    ...([
      { method: 'GET', pattern: `${API}/next`, handler: nextHandler(ctx) },
      { method: 'POST', pattern: `${API}/label`, handler: labelHandler(ctx), maxBodyBytes: MAX_API_BODY },
      { method: 'POST', pattern: `${API}/skip`, handler: skipHandler(ctx), maxBodyBytes: MAX_API_BODY },
      { method: 'POST', pattern: `${API}/lease`, handler: leaseHandler(ctx), maxBodyBytes: MAX_API_BODY },
      { method: 'POST', pattern: `${API}/undo`, handler: undoHandler(ctx), maxBodyBytes: MAX_API_BODY },
      { method: 'GET', pattern: `${API}/recent`, handler: recentHandler(ctx) },
      { method: 'GET', pattern: `${API}/me`, handler: meHandler(ctx) },
      { method: 'GET', pattern: `${API}/audio/:id`, handler: audioHandler(ctx) },
      { method: 'GET', pattern: `${API}/audio/:id/reference`, handler: referenceHandler(ctx) },
    ] satisfies Route[]).map(guarded),
  ];
}

export interface Labeler {
  readonly token: string;
  /** True when the token was generated at start-up (print labelerUrl so the operator can open it). */
  readonly generated: boolean;
  /** The labeler's own writable store (the tracks routes write through it too). */
  readonly store: StoreApi;
  readonly routes: Route[];
  /** Closes the labeler's own store (its SQLite connection or PostgreSQL pool). */
  close(): Promise<void>;
}

/**
 * Opens the labeler: resolves the token, opens its writable store (the one the config selects:
 * RL_DATABASE_URL or the data dir's SQLite file, migrated on open) and builds the routes. Open it
 * before the server, then mount the routes:
 *
 *   const labeler = await openLabeler(config);
 *   const server = await startServer(config, { extraRoutes: () => labeler.routes });
 *   console.log(`labeler: ${labelerUrl(config.host, server.port, labeler.token)}`);
 *   ... await server.close(); await labeler.close();
 */
export async function openLabeler(
  config: Config,
  opts: Omit<Partial<LabelerDeps>, 'config' | 'store' | 'token'> & { resolvedToken?: { token: string; generated: boolean }; store?: StoreApi } = {},
): Promise<Labeler> {
  const { resolvedToken, store: given, ...deps } = opts;
  const { token, generated } = resolvedToken ?? resolveLabelerToken(config);
  // A writable store given by the caller (a PostgreSQL node's one pool) stays the caller's to close.
  const store = given ?? (await openStore(config));
  const close = given ? async () => {} : () => store.close();
  try {
    const routes = labelerRoutes({ ...deps, config, store, token });
    return { token, generated, store, routes, close };
  } catch (err) {
    await close();
    throw err;
  }
}
