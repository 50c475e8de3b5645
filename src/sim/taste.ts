/**
 * A simulated listener's hidden taste: the ground truth the simulation scores every policy against.
 * - Jumps: p(good | jump) = σ(bias + Σ_i w_i x_i), x_i the raw values of the candidate's logged
 *   `features` (booleans 0 / 1, a missing key 0).
 * - Dwell: p(keeps listening | dwell of d bars) = σ(3 − 2 · |log2((d + 1) / (pref + 1))|): best at the
 *   preferred dwell, one octave off ≈ 0.73, far off much lower.
 * A taste file is JSON {"bias": b, "weights": {"similarity": w, ...}, "dwell_bars": preferred}.
 */
import { readFileSync } from 'node:fs';
import { rawValue } from '../bandit/index.js';
import { errors } from '../shared/errors.js';
import type { JumpFeatureInput } from '../policy/features.js';

export interface Taste {
  readonly name: string;
  readonly bias: number;
  readonly weights: Readonly<Record<string, number>>;
  readonly dwell_bars: number;
}

/** Feature keys a taste may weigh (the keys the analysis logs for every candidate). */
export const TASTE_KEYS = ['similarity', 'span', 'same_section', 'n_beats', 'bar_position_match', 'loudness_delta_db', 'timbre_distance', 'chroma_distance', 'beat_duration_ratio', 'onset_mismatch'] as const;

/** Built-in tastes, calibrated on the demo track's candidates (p(good) spread over about 0.1 .. 0.9). */
export const BUILT_IN_TASTES: readonly Taste[] = Object.freeze<Taste[]>([
  { name: 'smooth', bias: -8.5, weights: { similarity: 10, timbre_distance: -0.6, loudness_delta_db: -0.25 }, dwell_bars: 4 },
  { name: 'adventurous', bias: 0.2, weights: { same_section: -1.2, span: -0.006, onset_mismatch: -1.5 }, dwell_bars: 2 },
  { name: 'loyal', bias: -0.5, weights: { same_section: 1.5, timbre_distance: -0.4, onset_mismatch: -2 }, dwell_bars: 8 },
]);

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** True p(good) of a jump with these logged features. Cost O(keys). */
export function pGoodOf(t: Taste, f: JumpFeatureInput): number {
  let z = t.bias;
  for (const k in t.weights) z += t.weights[k] * rawValue((f as Record<string, unknown>)[k]);
  return sigmoid(z);
}

/** True p(keeps listening) through a dwell of `bars` bars. */
export function pKeepOf(t: Taste, bars: number): number {
  return sigmoid(3 - 2 * Math.abs(Math.log2((bars + 1) / (t.dwell_bars + 1))));
}

/** Checks a parsed taste; INVALID_ARGUMENT naming the field. */
export function validateTaste(v: unknown, name: string): Taste {
  const fail = (m: string) => errors.invalidArgument(`taste ${name}: ${m}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail('must be a JSON object {"bias", "weights", "dwell_bars"}');
  const o = v as Record<string, unknown>;
  if (typeof o.bias !== 'number' || !Number.isFinite(o.bias)) throw fail('bias must be a finite number');
  if (typeof o.weights !== 'object' || o.weights === null || Array.isArray(o.weights)) throw fail('weights must be an object of feature name → number');
  for (const [k, w] of Object.entries(o.weights)) {
    if (!(TASTE_KEYS as readonly string[]).includes(k)) throw fail(`weights.${k} is not a logged feature (one of ${TASTE_KEYS.join(', ')})`);
    if (typeof w !== 'number' || !Number.isFinite(w)) throw fail(`weights.${k} must be a finite number`);
  }
  const d = o.dwell_bars ?? 4;
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > 64) throw fail('dwell_bars must be a number of bars from 0 to 64');
  return { name, bias: o.bias, weights: o.weights as Record<string, number>, dwell_bars: d };
}

/** A built-in taste by name, or a taste file. */
export function loadTaste(spec: string): Taste {
  const built = BUILT_IN_TASTES.find((t) => t.name === spec);
  if (built) return built;
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw errors.invalidArgument(`--taste ${spec}: neither a built-in taste (${BUILT_IN_TASTES.map((t) => t.name).join(', ')}) nor a readable file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw errors.invalidArgument(`--taste ${spec}: not JSON`);
  }
  return validateTaste(parsed, spec);
}
