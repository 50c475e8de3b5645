import { randomUUID, createHash } from 'node:crypto';
import { HarmonizerError, isHarmonizerError, type ErrorDetail } from '../shared/errors.js';
import type { Config } from '../shared/config.js';
import { stagedEvent, type JumpEvent, type ListenerSignal, type RejectedEvent } from '../shared/jump-event.js';
import type { Store } from '../store/index.js';
import type { HttpRequest, HttpResponse, Route } from '../http/types.js';
import { json, noContent } from '../http/types.js';
import { corsRoutes } from '../http/cors.js';
import { chooseArm } from '../policy/assign.js';
import { buildTelemetry } from '../telemetry/report.js';
import { MAX_BODY_BYTES, checkContentType, decodeJson, eventsOf } from './body.js';
import { validateEvent } from './validate.js';
import { validateSignal } from './validate-signal.js';
import type { GroupCommitWriter } from './writer.js';
import type { IngestMetrics } from './metrics.js';
import type { ActiveModel } from './active-model.js';

export interface IngestDeps {
  config: Config;
  writer: GroupCommitWriter;
  /** Read connection for lookups and telemetry (writes go through the writer). */
  store: Store;
  metrics: IngestMetrics;
  model: ActiveModel;
  now?: () => number;
  rand?: () => number;
}

/** Problems listed in a 400 body at most (the dead-letter table keeps every rejected event). */
const MAX_DETAILS = 100;

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Validated<T> = { ok: true; value: T } | { ok: false; problems: ErrorDetail[] };

/**
 * A beacon endpoint: parse the body (one item, an array, or {"events": [...]}), validate every
 * item, group-commit the valid ones together with dead letters for the invalid ones, and answer
 * only after the commit: 204, or 400 with per-item details (the valid items are stored anyway).
 */
function beaconEndpoint<T>(
  deps: IngestDeps,
  what: string,
  validate: (item: unknown, index: number, receivedAt: number) => Validated<T>,
  submit: (valid: T[], rejected: RejectedEvent[]) => Promise<void>,
) {
  const now = deps.now ?? Date.now;
  const reject = async (reason: string, detail: string, raw: string | null) => {
    deps.metrics.events.inc({ outcome: 'rejected' });
    // The dead letter is committed before the 400 goes out, but a full queue must not turn the
    // client's 400 into a 503: then the dead letter is dropped (and counted in the metrics).
    await deps.writer.submit([], [{ received_at: now(), reason, detail, raw }]).catch(() => {});
  };
  return async (req: HttpRequest): Promise<HttpResponse> => {
    let items: unknown[];
    try {
      checkContentType(req.headers['content-type'] ?? '');
      const { value } = decodeJson(req.body);
      items = eventsOf(value);
    } catch (err) {
      if (isHarmonizerError(err)) {
        const reason = err.code === 'UNSUPPORTED_MEDIA' ? 'unsupported_media_type' : err.code === 'INVALID_JSON' ? 'invalid_json' : 'invalid_shape';
        await reject(reason, err.message, Buffer.from(req.body).toString('utf8'));
      }
      throw err;
    }
    const receivedAt = now();
    const valid: T[] = [];
    const rejected: RejectedEvent[] = [];
    const details: ErrorDetail[] = [];
    for (let i = 0; i < items.length; i++) {
      const r = validate(items[i], i, receivedAt);
      if (r.ok) valid.push(r.value);
      else {
        for (const p of r.problems) if (details.length < MAX_DETAILS) details.push(p);
        rejected.push({
          received_at: receivedAt,
          reason: `invalid_${what}`,
          detail: r.problems.map((p) => `${p.field || what}: ${p.message}`).join('; '),
          raw: safeStringify(items[i]),
        });
      }
    }
    await submit(valid, rejected);
    if (rejected.length > 0) {
      deps.metrics.events.inc({ outcome: 'rejected' }, rejected.length);
      throw new HarmonizerError('INVALID_EVENT', `${rejected.length} of ${items.length} ${what}s are invalid; the ${valid.length} valid ones were stored`, { details });
    }
    return noContent();
  };
}

/** POST /api/rl/jump-event: jump decisions. */
export function beaconHandler(deps: IngestDeps) {
  return beaconEndpoint<JumpEvent>(
    deps,
    'event',
    (item, i, at) => {
      const r = validateEvent(item, i, at);
      return r.ok ? { ok: true, value: r.event } : r;
    },
    (valid, rejected) => deps.writer.submit(valid.map(stagedEvent), rejected),
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
    (valid, rejected) => deps.writer.submit([], rejected, valid),
  );
}

function safeStringify(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null; // too deep to serialize: the reason column still says why it was refused
  }
}

/** GET /api/rl/policy?session_id=...: sticky arm assignment. */
export function policyHandler(deps: IngestDeps) {
  const now = deps.now ?? Date.now;
  const rand = deps.rand ?? Math.random;
  return async (req: HttpRequest): Promise<HttpResponse> => {
    let sessionId = req.query.get('session_id');
    if (sessionId !== null && !SESSION_ID.test(sessionId)) {
      throw new HarmonizerError('BAD_REQUEST', 'session_id must be 1-128 characters of A-Z a-z 0-9 . _ : -', {
        details: [{ field: 'session_id', message: 'invalid format' }],
      });
    }
    const existing = sessionId ? deps.store.policy.get(sessionId) : undefined;
    if (existing) return json(200, { ...existing, created: false });
    sessionId ??= randomUUID();
    const model = deps.model.get();
    const choice = chooseArm({
      mode: deps.config.policyMode,
      eps: deps.config.policyEps,
      modelVersion: model?.version ?? null,
      evidence: deps.store.policy.armEvidence(),
      rand,
    });
    const stored = await deps.writer.assign({
      session_id: sessionId,
      arm: choice.arm,
      probability: choice.probability,
      mode: deps.config.policyMode,
      eps: deps.config.policyEps,
      model_version: model?.version ?? null,
      reason: choice.reason,
      assigned_at: now(),
    });
    return json(200, { ...stored, created: true });
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

export function ingestRoutes(deps: IngestDeps): Route[] {
  // The player may run on another origin (apiBaseUrl): its API answers cross-origin reads.
  const api = corsRoutes([
    { method: 'POST', pattern: '/api/rl/jump-event', handler: beaconHandler(deps), maxBodyBytes: MAX_BODY_BYTES },
    { method: 'POST', pattern: '/api/rl/listener-event', handler: listenerHandler(deps), maxBodyBytes: MAX_BODY_BYTES },
    { method: 'GET', pattern: '/api/rl/policy', handler: policyHandler(deps) },
    { method: 'GET', pattern: '/api/rl/model', handler: modelHandler(deps) },
    {
      method: 'GET',
      pattern: '/api/rl/telemetry',
      handler: () => json(200, buildTelemetry(deps.store, { modelVersion: deps.model.get()?.version ?? null })),
    },
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
        const ok = await deps.writer.healthy().catch(() => false);
        return json(ok ? 200 : 503, ok ? { status: 'ok' } : { status: 'unavailable', error: 'the store cannot be written' });
      },
    },
  ];
}
