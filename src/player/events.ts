/**
 * The beacon payloads the player sends: one jump event per taken jump (the ingestion schema of
 * src/ingest/validate.ts, snake_case) and listener signals (POST /api/rl/listener-event) that can later
 * serve as implicit rewards. Pure, browser-safe: ids and clocks are passed in.
 */
import type { Beat } from '../analysis/types.js';
import type { JumpFeatureInput } from '../policy/features.js';
import type { JumpEvent, PolicyArm } from '../shared/jump-event.js';
import type { CandidateLog } from './choice.js';
import type { JumpDecision } from './jukebox.js';
import { settingsForLog, type PlayerSettings } from './settings.js';

export const JUMP_MODE = 'jukebox';

/**
 * A jump event as sent: the stored event's fields (src/shared/jump-event.ts) without the server's
 * received_at, with the fields the player always knows made non-null.
 */
export type JumpEventPayload = Omit<JumpEvent, 'received_at'> & {
  similarity: number;
  span: number;
  same_section: boolean;
  settings: Record<string, unknown>;
  /** The chosen candidate's features (JumpFeatureInput keys, with n_beats) plus how the decision was made. */
  context: Record<string, unknown>;
  policy_mode: PolicyArm;
  propensity: number;
  candidates: CandidateLog[];
  client_ts: number;
};

export interface SessionInfo {
  sessionId: string;
  trackId: string;
  trackTitle: string | null;
  arm: PolicyArm;
  /** The policy (or model) the rl arm decided with, when the decision does not name its own; null for baseline. */
  modelVersion: string | null;
  /** Why the rl arm fell back to the baseline rule, if it did. */
  fallback: string | null;
}

/** Keys of JumpFeatureInput, so `context` carries exactly the feature inputs (training reads them there). */
const FEATURE_KEYS: readonly (keyof JumpFeatureInput)[] = [
  'similarity', 'span', 'same_section', 'n_beats', 'bar_position_match', 'loudness_delta_db',
  'timbre_distance', 'chroma_distance', 'beat_duration_ratio', 'onset_mismatch',
];

export function jumpEvent(
  d: JumpDecision,
  beats: readonly Pick<Beat, 'start'>[],
  session: SessionInfo,
  settings: PlayerSettings,
  eventId: string,
  clientTs: number,
): JumpEventPayload {
  const f = d.chosen.features;
  const features: Record<string, unknown> = {};
  for (const k of FEATURE_KEYS) if (f[k] !== undefined) features[k] = f[k];
  const context: Record<string, unknown> = {
    ...features,
    trigger: d.trigger,
    branch_chance: d.branchChance,
    candidate_rank: d.choice.index,
    distance: d.chosen.distance,
    forced_candidate: d.chosen.forced,
  };
  if (session.fallback) context.policy_fallback = session.fallback;
  if (d.dwell) context.dwell = d.dwell;
  if (d.shadow) context.shadow = d.shadow;
  return {
    event_id: eventId,
    session_id: session.sessionId,
    track_id: session.trackId,
    track_title: session.trackTitle,
    mode: JUMP_MODE,
    source_index: d.source,
    target_index: d.target,
    source_time: beats[d.source].start,
    target_time: beats[d.target].start,
    similarity: f.similarity,
    span: f.span,
    same_section: Boolean(f.same_section),
    settings: settingsForLog(settings),
    context,
    policy_mode: session.arm,
    model_version: d.policyVersion ?? session.modelVersion,
    propensity: d.choice.propensity,
    quality_score: d.choice.qualityScore,
    candidates: d.choice.candidates,
    client_ts: clientTs,
  };
}

export type ListenerKind = 'seek' | 'skip' | 'pause' | 'resume' | 'leave' | 'force_jump';

export interface ListenerSignal {
  signal_id: string;
  session_id: string;
  track_id: string;
  kind: ListenerKind;
  position_s: number;
  beat_index?: number;
  client_ts: number;
  after_jump_event_id?: string;
  ms_since_jump?: number;
  policy_mode?: PolicyArm;
}

/** A signal counts as a reaction to a jump when it comes this soon after the jump became audible. */
export const AFTER_JUMP_WINDOW_MS = 10_000;

export interface LastJump {
  eventId: string;
  /** Wall-clock ms when the jump was heard (not when it was scheduled). */
  heardAt: number;
}

export function listenerSignal(input: {
  signalId: string;
  session: Pick<SessionInfo, 'sessionId' | 'trackId' | 'arm'>;
  kind: ListenerKind;
  positionS: number;
  beatIndex: number | null;
  clientTs: number;
  lastJump: LastJump | null;
}): ListenerSignal {
  const s: ListenerSignal = {
    signal_id: input.signalId,
    session_id: input.session.sessionId,
    track_id: input.session.trackId,
    kind: input.kind,
    position_s: Math.max(0, Math.round(input.positionS * 1000) / 1000),
    client_ts: input.clientTs,
    policy_mode: input.session.arm,
  };
  if (input.beatIndex !== null && input.beatIndex >= 0) s.beat_index = input.beatIndex;
  const j = input.lastJump;
  if (j && input.clientTs >= j.heardAt && input.clientTs - j.heardAt <= AFTER_JUMP_WINDOW_MS) {
    s.after_jump_event_id = j.eventId;
    s.ms_since_jump = input.clientTs - j.heardAt;
  }
  return s;
}
