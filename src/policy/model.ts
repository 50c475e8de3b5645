/**
 * The shape of model.json: a logistic model over the encoded jump features (FEATURE_NAMES), in
 * standardized space: p(good) = σ(bias + Σ_j weights[j] · (x_j − mean[j]) / std[j]).
 * Browser-safe: no Node imports (the player validates the served model with `validateModelJson`).
 */
import { HarmonizerError } from '../shared/errors.js';
import { FEATURE_NAMES } from './features.js';

export interface ModelMetricSet {
  readonly log_loss: number;
  readonly auc: number;
  readonly brier: number;
  readonly ece: number;
}

export interface ModelMetrics {
  /** Pooled out-of-fold (cross-validated) metrics of this model's configuration. */
  readonly held_out: ModelMetricSet;
  /** The similarity-only baseline on the same folds. */
  readonly baseline: ModelMetricSet;
  /** In-sample metrics of the final fit (optimistic; for reference only). */
  readonly train: ModelMetricSet;
  readonly k_folds: number;
}

export interface ModelJson {
  /** `<UTC yyyymmddThhmmssZ>-<first 8 hex of data_hash>`. */
  readonly version: string;
  /** ISO 8601. */
  readonly created_at: string;
  readonly feature_names: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly weights: readonly number[];
  readonly bias: number;
  readonly metrics: ModelMetrics;
  readonly n_examples: number;
  readonly label_counts: { readonly good: number; readonly meh: number; readonly bad: number };
  readonly data_hash: string;
  readonly training_ms: number;
  /** The L2 strength chosen by cross-validation. */
  readonly l2: number;
  readonly seed: number;
}

const fail = (msg: string) => new HarmonizerError('INVALID_ARGUMENT', `invalid model.json: ${msg}`);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numArray(o: Record<string, unknown>, key: string, positive = false): number[] {
  const a = o[key];
  if (!Array.isArray(a) || a.length !== FEATURE_NAMES.length) {
    throw fail(`${key} must be an array of ${FEATURE_NAMES.length} numbers (got ${Array.isArray(a) ? a.length : typeof a})`);
  }
  a.forEach((v, i) => {
    if (!isNum(v) || (positive && !(v > 0))) throw fail(`${key}[${i}] must be a finite${positive ? ' positive' : ''} number`);
  });
  return a as number[];
}

function metricSet(v: unknown, path: string): void {
  if (!isObj(v)) throw fail(`${path} must be an object`);
  for (const k of ['log_loss', 'auc', 'brier', 'ece']) if (!isNum(v[k])) throw fail(`${path}.${k} must be a finite number`);
}

/**
 * Checks an untrusted value (parsed JSON) and returns it typed. A model whose feature_names differ from
 * this build's FEATURE_NAMES is refused: its weights would be applied to the wrong columns.
 * Throws INVALID_ARGUMENT naming the first bad field. Cost: O(FEATURE_WIDTH).
 */
export function validateModelJson(value: unknown): ModelJson {
  if (!isObj(value)) throw fail('not an object');
  const o = value;
  for (const k of ['version', 'created_at', 'data_hash']) {
    if (typeof o[k] !== 'string' || o[k] === '') throw fail(`${k} must be a non-empty string`);
  }
  const names = o.feature_names;
  if (!Array.isArray(names) || names.length !== FEATURE_NAMES.length || names.some((n, i) => n !== FEATURE_NAMES[i])) {
    throw fail(`feature_names do not match this build's features (${FEATURE_NAMES.join(', ')})`);
  }
  numArray(o, 'mean');
  numArray(o, 'std', true);
  numArray(o, 'weights');
  if (!isNum(o.bias)) throw fail('bias must be a finite number');
  for (const k of ['n_examples', 'training_ms', 'l2', 'seed']) {
    if (!isNum(o[k]) || (o[k] as number) < 0) throw fail(`${k} must be a non-negative number`);
  }
  const lc = o.label_counts;
  if (!isObj(lc) || !['good', 'meh', 'bad'].every((k) => Number.isInteger(lc[k]) && (lc[k] as number) >= 0)) {
    throw fail('label_counts must be { good, meh, bad } non-negative integers');
  }
  const m = o.metrics;
  if (!isObj(m)) throw fail('metrics must be an object');
  metricSet(m.held_out, 'metrics.held_out');
  metricSet(m.baseline, 'metrics.baseline');
  metricSet(m.train, 'metrics.train');
  if (!Number.isInteger(m.k_folds)) throw fail('metrics.k_folds must be an integer');
  return value as unknown as ModelJson;
}
