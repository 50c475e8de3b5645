import type { ErrorDetail } from '../shared/errors.js';
import { SIGNAL_KINDS, type ListenerSignal, type SignalKind } from '../shared/jump-event.js';
import { LIMITS } from './validate.js';

export type SignalResult = { ok: true; signal: ListenerSignal } | { ok: false; problems: ErrorDetail[] };

/** Validates one listener signal (see ListenerSignal); unknown fields are ignored. */
export function validateSignal(input: unknown, index: number, receivedAt: number): SignalResult {
  const problems: ErrorDetail[] = [];
  const bad = (field: string, message: string) => problems.push({ index, field, message });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ index, field: '', message: 'signal must be a JSON object' }] };
  }
  const o = input as Record<string, unknown>;
  const str = (f: string, max: number, required: boolean): string | null => {
    const v = o[f];
    if (v === undefined || v === null) {
      if (required) bad(f, 'is required');
      return null;
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > max) {
      bad(f, `must be a non-empty string of at most ${max} characters`);
      return null;
    }
    return v;
  };
  const num = (f: string, required: boolean, min = 0, integer = false): number | null => {
    const v = o[f];
    if (v === undefined || v === null) {
      if (required) bad(f, 'is required');
      return null;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isSafeInteger(v))) {
      bad(f, `must be a finite ${integer ? 'integer' : 'number'} >= ${min}`);
      return null;
    }
    return v;
  };
  const signal_id = str('signal_id', LIMITS.eventIdMax, true);
  const session_id = str('session_id', LIMITS.idMax, true);
  const track_id = str('track_id', LIMITS.idMax, true);
  const kind = o.kind;
  if (!(SIGNAL_KINDS as readonly unknown[]).includes(kind)) bad('kind', `must be one of ${SIGNAL_KINDS.join(' | ')}`);
  const position_s = num('position_s', true);
  const beat_index = num('beat_index', false, 0, true);
  const after_jump_event_id = str('after_jump_event_id', LIMITS.eventIdMax, false);
  const ms_since_jump = num('ms_since_jump', false);
  const client_ts = num('client_ts', false);
  const pm = o.policy_mode;
  if (pm !== undefined && pm !== null && pm !== 'baseline' && pm !== 'rl') bad('policy_mode', 'must be "baseline" or "rl"');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    signal: {
      signal_id: signal_id!, session_id: session_id!, track_id: track_id!, kind: kind as SignalKind, position_s: position_s!,
      beat_index, after_jump_event_id, ms_since_jump, policy_mode: (pm as ListenerSignal['policy_mode']) ?? null, client_ts,
      received_at: receivedAt,
    },
  };
}
