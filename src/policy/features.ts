/**
 * The jump feature vector, defined once: analysis computes these values for every candidate,
 * the player logs them (top-level fields and `context` of a jump event, and each entry of
 * `candidates`), training reads them, and the scoring module applies the model to them.
 * Browser-safe: no Node imports.
 *
 * Each base feature is encoded as two columns: its value (0 when missing) and an explicit
 * `<name>_missing` indicator (1 when missing), so a missing value is never a silent 0.
 */
export interface FeatureSpec {
  readonly name: FeatureName;
  readonly doc: string;
}

export const FEATURE_SPECS = [
  { name: 'similarity', doc: 'acoustic similarity of source and target context, in [0, 1] (1 = identical)' },
  { name: 'span_abs_log', doc: 'log(1 + |span|), span = target_index - source_index in beats' },
  { name: 'span_backward', doc: '1 when the jump goes backwards (span < 0), else 0' },
  { name: 'span_rel', doc: '|span| / number of beats in the track (context.n_beats)' },
  { name: 'same_section', doc: '1 when source and target beats lie in the same section label, else 0' },
  { name: 'bar_position_match', doc: '1 when source and target have the same position in the bar, else 0' },
  { name: 'loudness_delta_db', doc: '|loudness_max(source) - loudness_max(target)| in dB' },
  { name: 'timbre_distance', doc: 'Euclidean distance of the beats\u2019 MFCC (timbre) vectors, coefficients 1..12' },
  { name: 'chroma_distance', doc: 'cosine distance (1 - cos) of the beats\u2019 12-bin chroma vectors, in [0, 1]' },
  { name: 'beat_duration_ratio', doc: 'max(d_s, d_t) / min(d_s, d_t) of the two beat durations, \u2265 1' },
  { name: 'onset_mismatch', doc: '|onset strength after source - onset strength at target| (normalized units)' },
] as const satisfies readonly { name: string; doc: string }[];

export type FeatureName = (typeof FEATURE_SPECS)[number]['name'];
export const BASE_FEATURE_NAMES: readonly FeatureName[] = FEATURE_SPECS.map((f) => f.name);

/** Names of the encoded columns, in order: value columns, then the missing indicators. */
export const FEATURE_NAMES: readonly string[] = [
  ...BASE_FEATURE_NAMES,
  ...BASE_FEATURE_NAMES.map((n) => `${n}_missing`),
];
export const FEATURE_WIDTH = FEATURE_NAMES.length;

/**
 * What a jump carries, as logged: `similarity`, `span`, `same_section` at the top level of the
 * event (or candidate), the rest in `context` (or the candidate's `features`). Keys are snake_case
 * as in the event schema; anything absent or non-finite counts as missing.
 */
export interface JumpFeatureInput {
  similarity?: number | null;
  span?: number | null;
  same_section?: boolean | number | null;
  n_beats?: number | null;
  bar_position_match?: boolean | number | null;
  loudness_delta_db?: number | null;
  timbre_distance?: number | null;
  chroma_distance?: number | null;
  beat_duration_ratio?: number | null;
  onset_mismatch?: number | null;
}

function finite(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Base feature values (undefined = missing), in FEATURE_SPECS order. */
export function baseFeatures(x: JumpFeatureInput): (number | undefined)[] {
  const span = finite(x.span);
  const nBeats = finite(x.n_beats);
  return [
    finite(x.similarity),
    span === undefined ? undefined : Math.log1p(Math.abs(span)),
    span === undefined ? undefined : span < 0 ? 1 : 0,
    span === undefined || nBeats === undefined || nBeats <= 0 ? undefined : Math.abs(span) / nBeats,
    finite(x.same_section),
    finite(x.bar_position_match),
    finite(x.loudness_delta_db),
    finite(x.timbre_distance),
    finite(x.chroma_distance),
    finite(x.beat_duration_ratio),
    finite(x.onset_mismatch),
  ];
}

/**
 * Writes the FEATURE_WIDTH encoded columns of one jump into `out` at `offset` (row-major rows).
 * Cost: O(FEATURE_WIDTH), no allocation besides the small base array.
 */
export function encodeFeatures(x: JumpFeatureInput, out: Float64Array, offset = 0): void {
  const base = baseFeatures(x);
  const k = base.length;
  for (let i = 0; i < k; i++) {
    const v = base[i];
    out[offset + i] = v === undefined ? 0 : v;
    out[offset + k + i] = v === undefined ? 1 : 0;
  }
}

/** Convenience for one jump: a fresh Float64Array of FEATURE_WIDTH columns. */
export function featureVector(x: JumpFeatureInput): Float64Array {
  const out = new Float64Array(FEATURE_WIDTH);
  encodeFeatures(x, out, 0);
  return out;
}

/** Feature input of a logged jump event: top-level fields plus its `context` object. */
export function featuresOfEvent(e: {
  similarity?: number | null;
  span?: number | null;
  same_section?: boolean | null;
  context?: Record<string, unknown> | null;
}): JumpFeatureInput {
  const c = (e.context ?? {}) as Record<string, unknown>;
  return {
    ...(c as JumpFeatureInput),
    similarity: e.similarity ?? (c.similarity as number | undefined),
    span: e.span ?? (c.span as number | undefined),
    same_section: e.same_section ?? (c.same_section as boolean | undefined),
  };
}
