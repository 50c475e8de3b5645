import { randomUUID, createHash } from 'node:crypto';
import { HarmonizerError, isHarmonizerError } from '../shared/errors.js';
import type { Config } from '../shared/config.js';
import { stagedEvent, type ListenerSignal, type RejectedEvent, type StagedEvent } from '../shared/jump-event.js';
import type { Assignment, StoreApi } from '../store/index.js';
import type { HttpRequest, HttpResponse, Route } from '../http/types.js';
import { json, noContent } from '../http/types.js';
import { corsRoutes } from '../http/cors.js';
import { chooseArm } from '../policy/assign.js';
import { coldStartPolicy } from '../bandit/index.js';
import { explorationOf } from '../learn/options.js';
import { buildTelemetry, withoutLabelers } from '../telemetry/report.js';
import { presentedToken, tokenMatches } from '../http/token.js';
import { MAX_BODY_BYTES, checkContentType } from './body.js';
import { readBeacon, type BeaconProblem, type ItemCheck } from './beacon.js';
import { validateEvent } from './validate.js';
import { validateSignal } from './validate-signal.js';
import type { GroupCommitWriter } from './writer.js';
import type { WriterHealth } from './messages.js';
import type { IngestMetrics } from './metrics.js';
import type { ActiveModel } from './active-model.js';

export interface IngestDeps {
  config: Config;
  writer: GroupCommitWriter;
  /**
   * Read connection for lookups and telemetry (writes go through the writer). null on an ingest node on
   * PostgreSQL, which serves the write path only (no telemetry route there yet).
   */
  store: StoreApi;
  metrics: IngestMetrics;
  model: ActiveModel;
  /** The active bandit policy file ($RL_DATA_DIR/policy.json). */
  policy: ActiveModel;
  /** Called when feedback (listener signals) was stored, so the learner runs soon. */
  onFeedback?: () => void;
  /** Unlocks the telemetry's labeler names (ServerOptions.operatorToken). */
  operatorToken?: string;
  now?: () => number;
  rand?: () => number;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function problemError(p: BeaconProblem): HarmonizerError {
  return new HarmonizerError(p.code, p.message, p.details ? { details: p.details } : {});
}

/**
 * The 415 for a body whose Content-Type is not one a beacon may carry (null when it is), after
 * keeping the body as a dead letter. A full queue must not turn the 415 into a 503: then the dead
 * letter is dropped.
 */
function refuseBeaconType(deps: IngestDeps, req: HttpRequest, now: () => number): Promise<HarmonizerError> | null {
  try {
    checkContentType(req.headers['content-type'] ?? '');
    return null;
  } catch (err) {
    if (!isHarmonizerError(err)) throw err;
    const raw = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8');
    return deps.writer
      .submit([], [{ received_at: now(), reason: 'unsupported_media_type', detail: err.message, raw }])
      .then(() => err, () => err);
  }
}

/**
 * A beacon endpoint: parse the body (one item, an array, or {"events": [...]}), validate every
 * item, group-commit the valid ones together with dead letters for the invalid ones, and answer
 * only after that commit: 204, or 400 with per-item details (the valid items are stored anyway).
 */
function beaconEndpoint<T>(
  deps: IngestDeps,
  what: string,
  check: (item: unknown, index: number, receivedAt: number) => ItemCheck<T>,
  submit: (valid: T[], rejected: RejectedEvent[]) => Promise<void>,
) {
  const now = deps.now ?? Date.now;
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const refused = refuseBeaconType(deps, req, now);
    if (refused) throw await refused;
    const read = readBeacon(req.body, now(), what, check);
    // Nothing valid to store: keep the dead letters if there is room, answer 400 either way.
    if (read.valid.length === 0) await deps.writer.submit([], read.rejected).catch(() => {});
    else await submit(read.valid, read.rejected);
    if (read.problem) throw problemError(read.problem);
    return noContent();
  };
}

/** POST /api/rl/jump-event: jump decisions. */
export function beaconHandler(deps: IngestDeps) {
  return beaconEndpoint<StagedEvent>(
    deps,
    'event',
    (item, i, at) => {
      const r = validateEvent(item, i, at);
      // Serialized here, once: the same text becomes the mirror line and the inbox entry.
      return r.ok ? { ok: true, value: stagedEvent(r.event) } : r;
    },
    (valid, rejected) => deps.writer.submit(valid, rejected),
  );
}

/** POST /api/rl/listener-event: listener signals (seek, skip, pause, leave ...) around jumps. */
export function listenerHandler(deps: IngestDeps) {
  return beaconEndpoint<ListenerSignal>(
    deps,
    'signal',
    (item, i, at) => {
      const r = validateSignal(item, i, at);
      return r.ok ? { ok: true, value: r.signal } : r;
    },
    async (valid, rejected) => {
      await deps.writer.submit([], rejected, valid);
      deps.onFeedback?.();
    },
  );
}

/** GET /api/rl/policy?session_id=...: sticky arm assignment (shadow: the baseline acts, the bandit is logged). */
export function policyHandler(deps: IngestDeps) {
  const now = deps.now ?? Date.now;
  const rand = deps.rand ?? Math.random;
  const view = (a: Assignment, created: boolean) =>
    json(200, { ...a, shadow: a.mode === 'shadow', policy_version: deps.policy.get()?.version ?? 'cold-start', created });
  return async (req: HttpRequest): Promise<HttpResponse> => {
    let sessionId = req.query.get('session_id');
    if (sessionId !== null && !SESSION_ID.test(sessionId)) {
      throw new HarmonizerError('BAD_REQUEST', 'session_id must be 1-128 characters of A-Z a-z 0-9 . _ : -', {
        details: [{ field: 'session_id', message: 'invalid format' }],
      });
    }
    // A read first saves the writer a round trip for a known session (SQLite); the write path alone
    // decides otherwise: the first assignment stored wins, whichever node stored it.
    const existing = sessionId ? await deps.store.policy.get(sessionId) : undefined;
    if (existing) return view(existing, false);
    sessionId ??= randomUUID();
    const choice = chooseArm({ mode: deps.config.policyMode, holdout: deps.config.holdout, rand });
    const proposal: Assignment = {
      session_id: sessionId,
      arm: choice.arm,
      probability: choice.probability,
      mode: deps.config.policyMode,
      eps: deps.config.policyEps,
      model_version: deps.policy.get()?.version ?? 'cold-start',
      reason: choice.reason,
      assigned_at: now(),
    };
    const stored = await deps.writer.assign(proposal);
    const created = stored.assigned_at === proposal.assigned_at && stored.arm === proposal.arm && stored.reason === proposal.reason;
    return view(stored, created);
  };
}

/**
 * GET /api/rl/policy-model: the active bandit policy with an ETag (304 when unchanged). Before the
 * learner has promoted one, the cold-start policy of this configuration (uniform exploration).
 */
export function policyModelHandler(deps: IngestDeps) {
  const cold = JSON.stringify(coldStartPolicy(explorationOf(deps.config)));
  return (req: HttpRequest): HttpResponse => {
    const raw = deps.policy.get()?.raw ?? cold;
    const etag = `"${createHash('sha256').update(raw).digest('hex').slice(0, 32)}"`;
    const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
    if (req.headers['if-none-match'] === etag) return { status: 304, headers };
    return { status: 200, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, body: raw };
  };
}

/** GET /api/rl/model: the active model.json with an ETag (304 when unchanged). */
export function modelHandler(deps: IngestDeps) {
  return (req: HttpRequest): HttpResponse => {
    const m = deps.model.get();
    if (!m) throw new HarmonizerError('NOT_FOUND', 'no active model: label clips and run `harmonizer train`');
    const etag = `"${createHash('sha256').update(m.raw).digest('hex').slice(0, 32)}"`;
    const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
    if (req.headers['if-none-match'] === etag) return { status: 304, headers };
    return { status: 200, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, body: m.raw };
  };
}

/**
 * GET /api/rl/telemetry. Any origin may read it (the player's API is cross-origin), so who labels what
 * (labeler names, per-labeler counts) is served only with the operator's token.
 */
export function telemetryHandler(deps: IngestDeps) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const report = await buildTelemetry(deps.store, { modelVersion: deps.model.get()?.version ?? null });
    const operator = deps.operatorToken !== undefined && tokenMatches(presentedToken(req), deps.operatorToken);
    return json(200, operator ? report : withoutLabelers(report));
  };
}

export function ingestRoutes(deps: IngestDeps): Route[] {
  // The player may run on another origin (apiBaseUrl): its API answers cross-origin reads.
  const api = corsRoutes([
    { method: 'POST', pattern: '/api/rl/jump-event', handler: beaconHandler(deps), maxBodyBytes: MAX_BODY_BYTES },
    { method: 'POST', pattern: '/api/rl/listener-event', handler: listenerHandler(deps), maxBodyBytes: MAX_BODY_BYTES },
    { method: 'GET', pattern: '/api/rl/policy', handler: policyHandler(deps) },
    { method: 'GET', pattern: '/api/rl/model', handler: modelHandler(deps) },
    { method: 'GET', pattern: '/api/rl/policy-model', handler: policyModelHandler(deps) },
    { method: 'GET', pattern: '/api/rl/telemetry', handler: telemetryHandler(deps) },
  ]);
  return [
    ...api,
    {
      method: 'GET',
      pattern: '/metrics',
      handler: async () => ({
        status: 200,
        headers: { 'Content-Type': deps.metrics.registry.contentType },
        body: await deps.metrics.registry.metrics(),
      }),
    },
    {
      method: 'GET',
      pattern: '/healthz',
      handler: async () => {
        const h = await deps.writer.health().catch((): WriterHealth => ({ ok: false, reason: 'the store writer does not answer' }));
        return json(h.ok ? 200 : 503, h.ok ? { status: 'ok' } : { status: 'unavailable', code: 'STORAGE_UNAVAILABLE', error: `the store cannot be written: ${h.reason ?? 'unknown cause'}` });
      },
    },
  ];
}
