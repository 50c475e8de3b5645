import { HarmonizerError, errors } from '../shared/errors.js';
import type { HttpRequest } from '../http/types.js';
import { LABEL_VALUES, type ClipFilters, type LabelValue } from '../store/index.js';
import { checkContentType, decodeJson } from '../ingest/body.js';
import { EVENT_ID_PATTERN } from '../render/index.js';

/** Request parsing and validation of the labeler API: every refusal names the field. */

export type QueueOrder = 'random' | 'uncertain';
export const QUEUE_ORDERS: readonly QueueOrder[] = ['random', 'uncertain'];

export const MAX_NOTES_CHARS = 2000;
const MAX_NAME_CHARS = 64;
const MAX_FILTER_CHARS = 128;
/** A day: longer "time spent" values are a stuck timer, not a measurement. */
const MAX_TIME_SPENT_MS = 86_400_000;

const bad = (field: string, message: string) =>
  new HarmonizerError('BAD_REQUEST', `${field} ${message}`, { details: [{ field, message }] });

/** The JSON object body of a POST (empty body: {}). */
export function jsonBody(req: HttpRequest): Record<string, unknown> {
  if (req.body.byteLength === 0) return {};
  checkContentType(req.headers['content-type'] ?? '');
  const { value } = decodeJson(req.body);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('body must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * The labeler's name: header X-Labeler-Name (percent-encoded UTF-8, since header values are
 * bytes), else `labeler` in the body or the query. Required: labels are attributed to a person.
 */
export function labelerName(req: HttpRequest, body: Record<string, unknown> = {}): string {
  let raw: unknown = req.headers['x-labeler-name'];
  if (typeof raw === 'string') {
    try {
      raw = decodeURIComponent(raw);
    } catch {
      throw bad('labeler', 'header X-Labeler-Name must be percent-encoded UTF-8');
    }
  } else raw = body.labeler ?? req.query.get('labeler') ?? undefined;
  if (raw === undefined || raw === null) throw bad('labeler', 'is required: send your name in X-Labeler-Name (or "labeler")');
  if (typeof raw !== 'string') throw bad('labeler', 'must be a string');
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME_CHARS || /[\u0000-\u001f\u007f]/.test(name)) {
    throw bad('labeler', `must be 1-${MAX_NAME_CHARS} printable characters`);
  }
  return name;
}

/** An event id from the client: the snippet alphabet only (ids become file names). */
export function eventIdOf(raw: unknown, field = 'event_id'): string {
  if (raw === undefined || raw === null || raw === '') throw bad(field, 'is required');
  if (typeof raw !== 'string' || !EVENT_ID_PATTERN.test(raw)) throw bad(field, 'must be 1-64 characters of A-Z a-z 0-9 _ -');
  return raw;
}

function textFilter(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > MAX_FILTER_CHARS) throw bad(name, `must be at most ${MAX_FILTER_CHARS} characters`);
  return v;
}

function numFilter(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw bad(name, `must be a number (got "${v}")`);
  return n;
}

/** Queue filters and order from the query string of GET next. */
export function queueQuery(q: URLSearchParams): { filters: ClipFilters; order: QueueOrder } {
  const filters: ClipFilters = {};
  const track = textFilter(q, 'track');
  const mode = textFilter(q, 'mode');
  const model = textFilter(q, 'model_version');
  const arm = textFilter(q, 'arm');
  if (track !== undefined) filters.track = track;
  if (mode !== undefined) filters.mode = mode;
  if (model !== undefined) filters.modelVersion = model;
  if (arm !== undefined) {
    if (arm !== 'baseline' && arm !== 'rl' && arm !== 'none') throw bad('arm', `must be baseline | rl | none (got "${arm}")`);
    filters.arm = arm;
  }
  const simMin = numFilter(q, 'sim_min');
  const simMax = numFilter(q, 'sim_max');
  if (simMin !== undefined) filters.simMin = simMin;
  if (simMax !== undefined) filters.simMax = simMax;
  if (simMin !== undefined && simMax !== undefined && simMin > simMax) throw bad('sim_min', 'must not exceed sim_max');
  const order = (q.get('order') || 'random') as QueueOrder;
  if (!QUEUE_ORDERS.includes(order)) throw bad('order', `must be ${QUEUE_ORDERS.join(' | ')} (got "${q.get('order')}")`);
  return { filters, order };
}

export interface LabelInput {
  event_id: string;
  label: LabelValue;
  /** undefined: keep the stored notes (an edit of the label only). */
  notes: string | undefined;
  time_spent_ms: number | null;
}

/** The body of POST label. An unknown label value is INVALID_LABEL (400) naming the accepted values. */
export function labelInput(body: Record<string, unknown>): LabelInput {
  const event_id = eventIdOf(body.event_id);
  const label = body.label;
  if (typeof label !== 'string' || !(LABEL_VALUES as readonly string[]).includes(label)) {
    throw new HarmonizerError('INVALID_LABEL', `label must be one of ${LABEL_VALUES.join(' | ')} (got ${JSON.stringify(label) ?? 'nothing'})`, {
      details: [{ field: 'label', message: `must be one of ${LABEL_VALUES.join(' | ')}` }],
    });
  }
  let notes: string | undefined;
  if (body.notes !== undefined && body.notes !== null) {
    if (typeof body.notes !== 'string') throw bad('notes', 'must be a string');
    if (body.notes.length > MAX_NOTES_CHARS) throw bad('notes', `must be at most ${MAX_NOTES_CHARS} characters`);
    notes = body.notes;
  }
  let time_spent_ms: number | null = null;
  if (body.time_spent_ms !== undefined && body.time_spent_ms !== null) {
    const t = body.time_spent_ms;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_TIME_SPENT_MS) {
      throw bad('time_spent_ms', `must be a number of milliseconds from 0 to ${MAX_TIME_SPENT_MS}`);
    }
    time_spent_ms = Math.round(t);
  }
  return { event_id, label: label as LabelValue, notes, time_spent_ms };
}

/** `since` of GET me (ms since epoch; default 0). */
export function sinceOf(q: URLSearchParams): number {
  const v = q.get('since');
  if (v === null || v === '') return 0;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw bad('since', 'must be a time in ms since the epoch');
  return n;
}
