/**
 * Labeled jumps → one row-major Float64Array of encoded features plus soft targets, validated so
 * training either runs on clean numbers or refuses with a message the CLI can print as-is.
 * Rows are sorted by event_id, so the result (and `data_hash`) does not depend on input order.
 */
import { createHash } from 'node:crypto';
import { HarmonizerError, errors } from '../shared/errors.js';
import {
  FEATURE_NAMES,
  FEATURE_WIDTH,
  encodeFeatures,
  featuresOfEvent,
  type JumpFeatureInput,
} from '../policy/features.js';

export type Label = 'good' | 'meh' | 'bad';

/** One labeled jump event as the store hands it over: the event's feature fields and all its labels. */
export interface LabeledJump {
  readonly event_id: string;
  readonly similarity: number | null;
  readonly span: number | null;
  readonly same_section: boolean | null;
  readonly context: Record<string, unknown> | null;
  readonly labels: readonly Label[];
}

export interface LabelCounts {
  good: number;
  meh: number;
  bad: number;
}

export interface Dataset {
  readonly ids: readonly string[];
  readonly rows: number;
  readonly cols: number;
  /** rows × cols, row-major: row i is x[i*cols .. (i+1)*cols). */
  readonly x: Float64Array;
  /** Soft targets in [0, 1]: mean of good = 1, meh = 0.5, bad = 0. */
  readonly y: Float64Array;
  readonly labelCounts: LabelCounts;
  /** sha256 (hex) over ids, targets and features in row order. */
  readonly dataHash: string;
}

export const LABEL_VALUES: Readonly<Record<Label, number>> = { good: 1, meh: 0.5, bad: 0 };

/** Default minimum number of labeled examples before training is attempted. */
export const DEFAULT_MIN_EXAMPLES = 20;

/**
 * Every input field the feature encoder reads. A `Record` over the interface's keys, so adding a
 * field to JumpFeatureInput without listing it here is a compile error.
 */
const INPUT_FIELDS: Record<keyof JumpFeatureInput, true> = {
  similarity: true,
  span: true,
  same_section: true,
  n_beats: true,
  bar_position_match: true,
  loudness_delta_db: true,
  timbre_distance: true,
  chroma_distance: true,
  beat_duration_ratio: true,
  onset_mismatch: true,
};
const INPUT_FIELD_NAMES = Object.keys(INPUT_FIELDS) as (keyof JumpFeatureInput)[];

const refuse = (message: string) => new HarmonizerError('TRAINING_REFUSED', message);

/**
 * Builds the training matrix. Refuses (TRAINING_REFUSED) when there are fewer than `minExamples`
 * examples, when targets do not cover both sides of 0.5 at least `minPerClass` times each (one class
 * only), or when a feature is NaN/±Infinity. Why refuse non-finite inputs rather than treat them as
 * missing: JSON cannot carry NaN, so a NaN here is an upstream bug, not a missing value; training on it
 * would hide the bug. Malformed input (empty or unknown labels, duplicate ids) is INVALID_ARGUMENT.
 * Cost: O(n · FEATURE_WIDTH) plus an O(n log n) sort by id.
 */
export function buildDataset(
  examples: readonly LabeledJump[],
  opts: { minExamples?: number; minPerClass?: number } = {},
): Dataset {
  const minExamples = opts.minExamples ?? DEFAULT_MIN_EXAMPLES;
  const minPerClass = opts.minPerClass ?? 1;
  if (!Array.isArray(examples)) throw errors.invalidArgument('examples must be an array');
  if (examples.length < minExamples) {
    throw refuse(`too few labeled examples: ${examples.length} (need at least ${minExamples})`);
  }
  const sorted = [...examples].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  const rows = sorted.length;
  const cols = FEATURE_WIDTH;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const counts: LabelCounts = { good: 0, meh: 0, bad: 0 };
  const ids: string[] = [];
  for (let i = 0; i < rows; i++) {
    const e = sorted[i];
    if (typeof e?.event_id !== 'string' || e.event_id === '') {
      throw errors.invalidArgument(`examples[${i}] (sorted by event_id) has no event_id`);
    }
    if (i > 0 && e.event_id === ids[i - 1]) throw errors.invalidArgument(`duplicate event_id "${e.event_id}"`);
    ids.push(e.event_id);
    if (!Array.isArray(e.labels) || e.labels.length === 0) {
      throw errors.invalidArgument(`example "${e.event_id}" has no labels`);
    }
    let sum = 0;
    for (const l of e.labels as readonly unknown[]) {
      if (l !== 'good' && l !== 'meh' && l !== 'bad') {
        throw errors.invalidArgument(`example "${e.event_id}" has unknown label "${String(l)}" (expected good | meh | bad)`);
      }
      sum += LABEL_VALUES[l];
      counts[l]++;
    }
    y[i] = sum / e.labels.length;
    if (e.context !== null && e.context !== undefined && (typeof e.context !== 'object' || Array.isArray(e.context))) {
      throw errors.invalidArgument(`example "${e.event_id}": context must be an object or null (parse JSON text first)`);
    }
    const input = featuresOfEvent(e);
    for (const f of INPUT_FIELD_NAMES) {
      const v = input[f];
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw refuse(`example "${e.event_id}" has a non-finite feature ${f} = ${v}`);
      }
    }
    encodeFeatures(input, x, i * cols);
    for (let j = 0; j < cols; j++) {
      // Finite inputs can still overflow (e.g. |span| / n_beats): catch it here, not as NaN weights.
      if (!Number.isFinite(x[i * cols + j])) {
        throw refuse(`example "${e.event_id}" encodes a non-finite feature ${FEATURE_NAMES[j]}`);
      }
    }
  }
  let above = 0;
  let below = 0;
  for (let i = 0; i < rows; i++) {
    if (y[i] > 0.5) above++;
    else if (y[i] < 0.5) below++;
  }
  if (above === 0 || below === 0) {
    throw refuse(
      `one class only: ${above} mostly-good and ${below} mostly-bad examples ` +
        `(labels: ${counts.good} good, ${counts.meh} meh, ${counts.bad} bad); need both`,
    );
  }
  if (above < minPerClass || below < minPerClass) {
    throw refuse(
      `too few examples per class for ${minPerClass}-fold cross-validation: ${above} mostly-good and ` +
        `${below} mostly-bad (need at least ${minPerClass} of each)`,
    );
  }
  return { ids, rows, cols, x, y, labelCounts: counts, dataHash: hashData(ids, y, x) };
}

/** sha256 over each id (UTF-8, NUL-terminated), then all targets, then all features as float64 LE. */
function hashData(ids: readonly string[], y: Float64Array, x: Float64Array): string {
  const h = createHash('sha256');
  for (const id of ids) h.update(id + '\0', 'utf8');
  // Float64Array bytes are platform-endian; every supported platform is little-endian.
  h.update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return h.digest('hex');
}

/** Mean and standard deviation per column (std 0 → 1, so constant columns pass through unscaled). */
export interface Standardization {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Column statistics over the rows with `rowWeight[i] > 0` (all rows when null), the training split only,
 * so held-out rows never leak into the scaling. Population std; std < 1e-12 is treated as 0 → 1.
 * Precondition: at least one selected row. Cost: O(rows · cols), two passes (numerically stable).
 */
export function standardization(
  x: Float64Array,
  rows: number,
  cols: number,
  rowWeight: Float64Array | null,
): Standardization {
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (rowWeight && !(rowWeight[i] > 0)) continue;
    count++;
    const o = i * cols;
    for (let j = 0; j < cols; j++) mean[j] += x[o + j];
  }
  if (count === 0) throw errors.invalidArgument('standardization needs at least one row');
  for (let j = 0; j < cols; j++) mean[j] /= count;
  for (let i = 0; i < rows; i++) {
    if (rowWeight && !(rowWeight[i] > 0)) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j] - mean[j];
      std[j] += d * d;
    }
  }
  for (let j = 0; j < cols; j++) {
    const s = Math.sqrt(std[j] / count);
    std[j] = s < 1e-12 ? 1 : s;
  }
  return { mean, std };
}

/** A new rows × picked.length matrix of the given columns. Cost: O(rows · picked.length). */
export function selectColumns(x: Float64Array, rows: number, cols: number, picked: readonly number[]): Float64Array {
  const k = picked.length;
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) out[i * k + j] = x[i * cols + picked[j]];
  }
  return out;
}
