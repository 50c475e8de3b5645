import type { ErrorDetail } from '../shared/errors.js';
import type { JumpEvent, PolicyArm } from '../shared/jump-event.js';

/**
 * Validation of one beacon event, hand-written because it runs for every event on the ingest hot
 * path (a generic schema validator costs several times more per event here). Returns the normalized
 * event or the list of field problems. Unknown top-level fields move into `context` (never dropped).
 */
export const LIMITS = Object.freeze({
  eventIdMax: 64,
  idMax: 128,
  modeMax: 64,
  titleMax: 512,
  modelVersionMax: 128,
  candidatesMax: 256,
  /** Deepest nesting accepted inside settings/context/candidates: deeper input is refused, never recursed. */
  maxDepth: 16,
});

const KNOWN = new Set([
  'event_id', 'session_id', 'track_id', 'track_title', 'mode', 'source_index', 'target_index',
  'source_time', 'target_time', 'similarity', 'span', 'same_section', 'policy_mode', 'model_version',
  'quality_score', 'propensity', 'candidates', 'settings', 'context', 'client_ts',
]);

export type ValidationResult = { ok: true; event: JumpEvent } | { ok: false; problems: ErrorDetail[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when objects/arrays nest deeper than `limit` levels (the value itself is level 1). The
 * recursion stops at `limit`, so hostile input (JSON.parse accepts deep nesting) never recurses
 * deeper than that, and nothing is allocated on the way (this runs for every event).
 */
export function depthExceeds(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (depthExceeds(value[i], limit - 1)) return true;
  } else {
    for (const k in value) if (depthExceeds((value as Record<string, unknown>)[k], limit - 1)) return true;
  }
  return false;
}

export function validateEvent(input: unknown, index: number, receivedAt: number): ValidationResult {
  const problems: ErrorDetail[] = [];
  const bad = (field: string, message: string) => problems.push({ index, field, message });
  if (!isPlainObject(input)) {
    return { ok: false, problems: [{ index, field: '', message: 'event must be a JSON object' }] };
  }
  const o = input;

  const str = (field: string, max: number, required: boolean): string | null => {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) bad(field, 'is required');
      return null;
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > max) {
      bad(field, `must be a non-empty string of at most ${max} characters`);
      return null;
    }
    return v;
  };
  const uint = (field: string, required: boolean): number | null => {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) bad(field, 'is required');
      return null;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      bad(field, 'must be an integer >= 0');
      return null;
    }
    return v;
  };
  const time = (field: string, required: boolean): number | null => {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) bad(field, 'is required');
      return null;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      bad(field, 'must be a finite number >= 0 (seconds)');
      return null;
    }
    return v;
  };
  const finite = (field: string, lo = -Infinity, hi = Infinity, msg = 'must be a finite number'): number | null => {
    const v = o[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
      bad(field, msg);
      return null;
    }
    return v;
  };
  const obj = (field: string): Record<string, unknown> | null => {
    const v = o[field];
    if (v === undefined || v === null) return null;
    if (!isPlainObject(v)) {
      bad(field, 'must be a JSON object');
      return null;
    }
    if (depthExceeds(v, LIMITS.maxDepth)) {
      bad(field, `is nested deeper than ${LIMITS.maxDepth} levels`);
      return null;
    }
    return v;
  };

  const event_id = str('event_id', LIMITS.eventIdMax, true);
  const session_id = str('session_id', LIMITS.idMax, true);
  const track_id = str('track_id', LIMITS.idMax, true);
  const mode = str('mode', LIMITS.modeMax, true);
  const source_index = uint('source_index', true);
  const target_index = uint('target_index', true);
  const source_time = time('source_time', true);
  const target_time = time('target_time', true);
  const track_title = str('track_title', LIMITS.titleMax, false);
  const model_version = str('model_version', LIMITS.modelVersionMax, false);
  const similarity = finite('similarity');
  const quality_score = finite('quality_score');
  const propensity = finite('propensity', Number.MIN_VALUE, 1, 'must be a probability in (0, 1]');
  const client_ts = finite('client_ts', 0, Infinity, 'must be a finite number >= 0 (ms since epoch)');

  let span: number | null = null;
  if (o.span !== undefined && o.span !== null) {
    if (typeof o.span !== 'number' || !Number.isSafeInteger(o.span)) bad('span', 'must be an integer (beats)');
    else span = o.span;
  }
  let same_section: boolean | null = null;
  if (o.same_section !== undefined && o.same_section !== null) {
    if (typeof o.same_section !== 'boolean') bad('same_section', 'must be a boolean');
    else same_section = o.same_section;
  }
  let policy_mode: PolicyArm | null = null;
  if (o.policy_mode !== undefined && o.policy_mode !== null) {
    if (o.policy_mode !== 'baseline' && o.policy_mode !== 'rl') bad('policy_mode', 'must be "baseline" or "rl"');
    else policy_mode = o.policy_mode;
  }
  let candidates: unknown[] | null = null;
  if (o.candidates !== undefined && o.candidates !== null) {
    if (!Array.isArray(o.candidates)) bad('candidates', 'must be an array');
    else if (o.candidates.length > LIMITS.candidatesMax) bad('candidates', `has more than ${LIMITS.candidatesMax} entries`);
    else if (depthExceeds(o.candidates, LIMITS.maxDepth)) bad('candidates', `is nested deeper than ${LIMITS.maxDepth} levels`);
    else candidates = o.candidates;
  }
  const settings = obj('settings');
  let context = obj('context');

  // Unknown top-level fields are kept inside context, so a newer player never loses data.
  let extra: Record<string, unknown> | null = null;
  for (const key in o) {
    if (KNOWN.has(key)) continue;
    const v = o[key];
    if (depthExceeds(v, LIMITS.maxDepth)) {
      bad(key, `is nested deeper than ${LIMITS.maxDepth} levels`);
      continue;
    }
    (extra ??= {})[key] = v;
  }
  if (extra) context = context ? { ...extra, ...context } : extra;

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    event: {
      event_id: event_id!, session_id: session_id!, track_id: track_id!, track_title, mode: mode!,
      source_index: source_index!, target_index: target_index!, source_time: source_time!,
      target_time: target_time!, similarity, span, same_section, policy_mode, model_version,
      quality_score, propensity, candidates, settings, context, client_ts, received_at: receivedAt,
    },
  };
}
