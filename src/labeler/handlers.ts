import { join } from 'node:path';
import type { Config } from '../shared/config.js';
import { HarmonizerError, fromStorageError } from '../shared/errors.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { json } from '../http/types.js';
import type { ClipRow, SnippetRow, StoreApi } from '../store/index.js';
import { snippetFileName } from '../render/index.js';
import { eventIdOf, jsonBody, labelInput, labelerName, queueQuery, sinceOf } from './params.js';
import { fileResponse } from '../http/files.js';
import type { ReferenceClips } from './reference.js';
import type { UncertaintyRanker } from './uncertainty.js';

/** How long a labeler holds a clip before another labeler may receive it. */
export const LEASE_MS = 2 * 60_000;
/** Decisions listed (and editable) on the page. */
export const RECENT_DECISIONS = 10;

export interface HandlerContext {
  config: Pick<Config, 'labelsPerClip'>;
  store: StoreApi;
  snippetsDir: string;
  references: ReferenceClips;
  ranker: UncertaintyRanker;
  now: () => number;
  leaseMs: number;
  /** A label was recorded or taken back (the learner's poke). */
  onFeedback?: () => void;
}

/** A clip as the page shows it: the jump, its timing in the clip, and where to fetch the audio. */
export function clipView(c: ClipRow) {
  const id = encodeURIComponent(c.event_id);
  return {
    event_id: c.event_id,
    track_id: c.track_id,
    track_title: c.track_title,
    mode: c.mode,
    source_index: c.source_index,
    target_index: c.target_index,
    source_time: c.source_time,
    target_time: c.target_time,
    similarity: c.similarity,
    span: c.span,
    arm: c.policy_mode,
    model_version: c.model_version,
    duration_s: c.duration_s,
    splice_offset_s: c.splice_offset_s,
    pre_s: c.pre_s,
    post_s: c.post_s,
    labels_count: c.labels_count,
    audio_url: `/api/rl/labeler/audio/${id}`,
    reference_url: `/api/rl/labeler/audio/${id}/reference`,
  };
}

export type ClipView = ReturnType<typeof clipView>;

async function rendered(ctx: HandlerContext, eventId: string): Promise<ClipRow> {
  const clip = await ctx.store.labels.clip(eventId);
  if (!clip) throw new HarmonizerError('NOT_FOUND', `clip ${eventId} not found (unknown event, or its snippet is not rendered)`);
  return clip;
}

/** GET next: lease the labeler's next clip under the filters and order. */
export function nextHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const labeler = labelerName(req);
    const { filters, order } = queueQuery(req.query);
    const now = ctx.now();
    const ranked = order === 'uncertain' ? ctx.ranker.order() : undefined;
    const lease = await ctx.store.labels.leaseNext(labeler, filters, {
      now,
      leaseMs: ctx.leaseMs,
      perClip: ctx.config.labelsPerClip,
      ...(ranked?.priority ? { priority: ranked.priority } : {}),
    });
    return json(200, {
      clip: lease ? clipView(lease.clip) : null,
      lease_expires_at: lease?.expires_at ?? null,
      remaining: await ctx.store.labels.remaining(labeler, filters, ctx.config.labelsPerClip),
      order: ranked && !ranked.priority ? 'random' : order,
      ...(ranked?.note ? { order_note: ranked.note } : {}),
      ...(ranked?.priority ? { order_model_version: ranked.model_version } : {}),
    });
  };
}

/** POST label {event_id, label, notes?, time_spent_ms?}: record (or change) the labeler's decision. */
export function labelHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const body = jsonBody(req);
    const labeler = labelerName(req, body);
    const input = labelInput(body);
    await rendered(ctx, input.event_id);
    const row = await ctx.store.labels.upsert({ ...input, labeler, now: ctx.now() });
    ctx.onFeedback?.();
    return json(200, { label: row });
  };
}

/** POST skip {event_id}: the clip goes to the end of this labeler's queue. */
export function skipHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const body = jsonBody(req);
    const labeler = labelerName(req, body);
    const eventId = eventIdOf(body.event_id);
    await rendered(ctx, eventId);
    await ctx.store.labels.skip(labeler, eventId, ctx.now());
    return json(200, { skipped: eventId });
  };
}

/**
 * POST lease {event_id}: keeps the clip leased to this labeler while they listen (the page calls it
 * every LEASE_MS / 3). 409 when another labeler holds it (the lease lapsed and was given away).
 */
export function leaseHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const body = jsonBody(req);
    const labeler = labelerName(req, body);
    const eventId = eventIdOf(body.event_id);
    await rendered(ctx, eventId);
    const r = await ctx.store.labels.renewLease(eventId, labeler, ctx.now(), ctx.leaseMs);
    if (!r.renewed) throw new HarmonizerError('CONFLICT', 'this clip is leased to another labeler now; your label is still kept if you send one');
    return json(200, { event_id: eventId, expires_at: r.expires_at });
  };
}

/** POST undo: remove the labeler's last label and hand its clip back. */
export function undoHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const body = jsonBody(req);
    const labeler = labelerName(req, body);
    const r = await ctx.store.labels.undo(labeler, ctx.now(), ctx.leaseMs);
    if (!r) throw new HarmonizerError('NOT_FOUND', 'nothing to undo: you have no labels');
    ctx.onFeedback?.();
    const clip = await ctx.store.labels.clip(r.removed.event_id);
    return json(200, { undone: r.removed, clip: clip ? clipView(clip) : null, leased: r.leased });
  };
}

/** GET recent: the labeler's last decisions, newest first. */
export function recentHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> =>
    json(200, { decisions: await ctx.store.labels.recent(labelerName(req), RECENT_DECISIONS) });
}

/** GET me?since=: counters; `now` is the server clock, which the page uses as its session start. */
export function meHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const labeler = labelerName(req);
    const since = sinceOf(req.query);
    const { filters } = queueQuery(req.query);
    const counts = await ctx.store.labels.countBy(labeler, since);
    return json(200, {
      labeler,
      now: ctx.now(),
      labeled_total: counts.total,
      labeled_since: counts.since,
      remaining: await ctx.store.labels.remaining(labeler, filters, ctx.config.labelsPerClip),
      labels_per_clip: ctx.config.labelsPerClip,
    });
  };
}

/** GET audio/:id: the rendered jump clip, by event id only (no client paths), with Range. */
export function audioHandler(ctx: HandlerContext) {
  return (req: HttpRequest): Promise<HttpResponse> => renderedClip(ctx.store, ctx.snippetsDir, req);
}

/** The rendered clip of event `req.params.id` (Range as requested), or 404. The dashboard plays it too. */
export async function renderedClip(store: Pick<StoreApi, 'snippets'>, snippetsDir: string, req: HttpRequest): Promise<HttpResponse> {
  const eventId = eventIdOf(req.params.id, 'id');
  const row = await store.snippets.get(eventId);
  if (!row || row.state !== 'rendered') throw new HarmonizerError('NOT_FOUND', `no rendered clip for event ${eventId}`);
  const path = row.path ?? join(snippetsDir, snippetFileName(eventId, 'jump'));
  return fileResponse(path, req.headers['range'], 'audio/wav', `clip of event ${eventId}`);
}

/** GET audio/:id/reference: the no-jump reference clip (rendered on demand when possible). */
export function referenceHandler(ctx: HandlerContext) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const eventId = eventIdOf(req.params.id, 'id');
    const path = await ctx.references.path(await rendered(ctx, eventId)).catch((err: unknown) => {
      throw fromStorageError(err, 'render the reference clip');
    });
    return fileResponse(path, req.headers['range'], 'audio/wav', `reference clip of event ${eventId}`);
  };
}
