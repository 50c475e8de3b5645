/**
 * The bandit's decisions, defined once for the browser player, the server's learner, the off-policy
 * evaluation and the simulation (browser-safe: no Node imports).
 *
 * Two kinds of decision are made in a listening session:
 * - `jump`: at a branch point, which of the eligible jump candidates to take. Its actions are the
 *   candidates (action-dependent features: each candidate's logged `features`).
 * - `dwell`: right after a jump is placed, how many bars the player stays before it may branch again
 *   (DWELL_BARS; 0 = the classic branch ramp alone). This is how the policy learns whether listeners
 *   want more or fewer jumps. The action set is fixed; its features are a one-hot of the action.
 *
 * Each kind's reward model is linear in its feature vector (first column the bias):
 * ŷ(a) = Σ_j w_j · x_j(a).
 */
import type { JumpFeatureInput } from '../policy/features.js';

export const DECISION_KINDS = ['jump', 'dwell'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** Dwell actions in bars (beats = bars × the analysed meter). 0: no dwell, the branch ramp alone decides. */
export const DWELL_BARS: readonly number[] = Object.freeze([0, 1, 2, 4, 8]);

interface JumpColumn {
  readonly name: string;
  readonly doc: string;
  readonly of: (f: JumpFeatureInput) => number;
}

/** A logged value as a number: booleans as 0 / 1, anything missing or non-finite as 0. */
export function rawValue(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Jump columns. Fixed affine scalings keep the columns of comparable size (the ridge penalty then
 * shrinks them alike); the raw values are kept (not only their logs), so a reward linear in any
 * logged feature is linear in these columns too.
 */
const JUMP_COLUMNS: readonly JumpColumn[] = [
  { name: 'bias', doc: 'constant 1', of: () => 1 },
  { name: 'similarity', doc: '(similarity − 1) × 10', of: (f) => (f.similarity === undefined || f.similarity === null ? 0 : (rawValue(f.similarity) - 1) * 10) },
  { name: 'span', doc: 'signed span in beats / 64', of: (f) => rawValue(f.span) / 64 },
  { name: 'span_abs_log', doc: 'log(1 + |span|) / 5', of: (f) => Math.log1p(Math.abs(rawValue(f.span))) / 5 },
  { name: 'span_backward', doc: '1 for a backward jump', of: (f) => (rawValue(f.span) < 0 ? 1 : 0) },
  { name: 'same_section', doc: '1 when source and target share a section label', of: (f) => rawValue(f.same_section) },
  { name: 'bar_position_match', doc: '1 when the positions in the bar match', of: (f) => rawValue(f.bar_position_match) },
  { name: 'loudness_delta_db', doc: 'loudness difference (dB) / 3', of: (f) => rawValue(f.loudness_delta_db) / 3 },
  { name: 'timbre_distance', doc: 'MFCC distance / 2', of: (f) => rawValue(f.timbre_distance) / 2 },
  { name: 'chroma_distance', doc: 'chroma cosine distance × 10', of: (f) => rawValue(f.chroma_distance) * 10 },
  { name: 'beat_duration_ratio', doc: '(duration ratio − 1) × 10', of: (f) => (f.beat_duration_ratio === undefined || f.beat_duration_ratio === null ? 0 : (rawValue(f.beat_duration_ratio) - 1) * 10) },
  { name: 'onset_mismatch', doc: 'onset strength mismatch', of: (f) => rawValue(f.onset_mismatch) },
];

export const FEATURE_NAMES_BY_KIND: Readonly<Record<DecisionKind, readonly string[]>> = Object.freeze({
  jump: JUMP_COLUMNS.map((c) => c.name),
  dwell: ['bias', ...DWELL_BARS.slice(1).map((b) => `dwell_${b}`)],
});

export const FEATURE_WIDTH_BY_KIND: Readonly<Record<DecisionKind, number>> = Object.freeze({
  jump: JUMP_COLUMNS.length,
  dwell: DWELL_BARS.length,
});

/** The feature vector of one jump candidate. Cost O(width). */
export function jumpFeatures(f: JumpFeatureInput): number[] {
  return JUMP_COLUMNS.map((c) => c.of(f));
}

/** The feature vector of dwell action `index` (into DWELL_BARS): bias plus a one-hot of the non-zero dwells. */
export function dwellFeatures(index: number): number[] {
  if (!Number.isInteger(index) || index < 0 || index >= DWELL_BARS.length) throw new RangeError(`dwell index must be 0..${DWELL_BARS.length - 1} (got ${index})`);
  const x = new Array<number>(DWELL_BARS.length).fill(0);
  x[0] = 1;
  if (index > 0) x[index] = 1;
  return x;
}

/** The dwell decision as a jump event logs it (`context.dwell`; in shadow mode `context.shadow.dwell`). */
export interface DwellLog {
  /** Index into DWELL_BARS. */
  index: number;
  bars: number;
  /** bars × the analysed meter. */
  beats: number;
  probabilities: number[];
  scores: number[];
  propensity: number;
  policy_version: string;
}

/** Every dwell action's features, in DWELL_BARS order. */
export function dwellActionFeatures(): number[][] {
  return DWELL_BARS.map((_, i) => dwellFeatures(i));
}
