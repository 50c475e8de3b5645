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

export type PolicyArm = 'baseline' | 'rl';
export const POLICY_ARMS: readonly PolicyArm[] = ['baseline', 'rl'];

/** A dead-letter row: why an input was refused and (up to 64 KiB of) its raw text. */
export interface RejectedEvent {
  received_at: number;
  reason: string;
  detail: string | null;
  raw: string | null;
}

export const MAX_RAW_REJECTED_CHARS = 64 * 1024;
