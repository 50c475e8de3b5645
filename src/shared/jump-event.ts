/**
 * A jump event as stored: the typed fields of the beacon schema (snake_case, as the browser sends
 * them) plus `received_at` (ms since epoch, set by the server). Free-form objects stay objects here;
 * the store serializes them to JSON text columns.
 */
export interface JumpEvent {
  event_id: string;
  session_id: string;
  track_id: string;
  track_title: string | null;
  mode: string;
  source_index: number;
  target_index: number;
  source_time: number;
  target_time: number;
  similarity: number | null;
  span: number | null;
  same_section: boolean | null;
  policy_mode: PolicyArm | null;
  model_version: string | null;
  quality_score: number | null;
  propensity: number | null;
  candidates: unknown[] | null;
  settings: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  client_ts: number | null;
  received_at: number;
}

/**
 * A validated event on its way to the store: its id, arrival time, and its JSON text (serialized
 * once, on the HTTP thread; the same text becomes the mirror line and a line of an inbox row).
 */
export interface StagedEvent {
  event_id: string;
  received_at: number;
  line: string;
}

export function stagedEvent(e: JumpEvent): StagedEvent {
  return { event_id: e.event_id, received_at: e.received_at, line: JSON.stringify(e) };
}

export type PolicyArm = 'baseline' | 'rl';
export const POLICY_ARMS: readonly PolicyArm[] = ['baseline', 'rl'];

/**
 * A dead-letter row: one per refused body (never one per item, so a body of 32 000 invalid items costs
 * one row, not 32 000), with why it was refused and (up to 64 KiB of) its raw text.
 */
export interface RejectedEvent {
  received_at: number;
  reason: string;
  detail: string | null;
  raw: string | null;
  /** Items of the body this letter stands for (default 1). */
  items?: number;
}

export const MAX_RAW_REJECTED_CHARS = 64 * 1024;

/** Kinds of listener signal the player reports (implicit feedback around jumps). */
export const SIGNAL_KINDS = ['seek', 'skip', 'pause', 'resume', 'leave', 'force_jump'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** A listener signal as stored in listener_events. */
export interface ListenerSignal {
  signal_id: string;
  session_id: string;
  track_id: string;
  kind: SignalKind;
  position_s: number;
  beat_index: number | null;
  /** The last jump's event_id when the signal came within a few seconds after it. */
  after_jump_event_id: string | null;
  ms_since_jump: number | null;
  policy_mode: PolicyArm | null;
  client_ts: number | null;
  received_at: number;
}
