import type { JumpEvent } from '../shared/jump-event.js';

/** The columns of a jump event row, in the order of `eventParams` (both stores write the same row). */
export const EVENT_COLUMNS = [
  'event_id', 'session_id', 'track_id', 'track_title', 'mode', 'source_index', 'target_index',
  'source_time', 'target_time', 'similarity', 'span', 'same_section', 'policy_mode', 'model_version',
  'quality_score', 'propensity', 'candidates', 'settings', 'context', 'client_ts', 'received_at',
] as const;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** Positional parameters of one row, in EVENT_COLUMNS order (booleans as 0/1, free-form objects as JSON text). */
export function eventParams(e: JumpEvent): unknown[] {
  return [
    e.event_id, e.session_id, e.track_id, e.track_title, e.mode, e.source_index, e.target_index,
    e.source_time, e.target_time, e.similarity, e.span,
    e.same_section === null ? null : e.same_section ? 1 : 0,
    e.policy_mode, e.model_version, e.quality_score, e.propensity,
    json(e.candidates), json(e.settings), json(e.context), e.client_ts, e.received_at,
  ];
}

/** A stored row as both stores return it: same_section as 0/1, the free-form objects as JSON text. */
export interface EventRow extends Omit<JumpEvent, 'same_section' | 'candidates' | 'settings' | 'context'> {
  same_section: number | null;
  candidates: string | null;
  settings: string | null;
  context: string | null;
}

/** The event a row holds: JSON columns parsed, same_section a boolean again. */
export function fromRow(r: EventRow): JumpEvent {
  return {
    ...r,
    same_section: r.same_section === null ? null : r.same_section === 1,
    candidates: r.candidates === null ? null : JSON.parse(r.candidates),
    settings: r.settings === null ? null : JSON.parse(r.settings),
    context: r.context === null ? null : JSON.parse(r.context),
  } as JumpEvent;
}

/** The signal columns, in the order of `signalParams`. */
export const SIGNAL_COLUMNS = [
  'signal_id', 'session_id', 'track_id', 'kind', 'position_s', 'beat_index', 'after_jump_event_id', 'ms_since_jump', 'policy_mode', 'client_ts', 'received_at',
] as const;
