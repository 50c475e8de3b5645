import { errors } from '../shared/errors.js';
import type { Meter } from './types.js';

/** Knobs of the analysis; every one is optional and validated by `resolveOptions`. */
export interface AnalysisOptions {
  /** K: at most this many candidates per beat (integer 0 .. 32, default 4). */
  maxCandidates?: number;
  /** Fixed context-distance threshold (finite, > 0); default: auto-tuned (see candidates.ts). */
  threshold?: number;
  /** Shortest allowed jump in beats, |target - source| (integer 1 .. 64, default 4). */
  minSpan?: number;
  /** DP beat tracker tightness (finite, > 0, default 100): higher = steadier tempo. */
  tightness?: number;
  /** Force the meter instead of estimating it (2, 3 or 4). */
  meter?: Meter;
}

export interface ResolvedOptions {
  readonly maxCandidates: number;
  readonly threshold: number | undefined;
  readonly minSpan: number;
  readonly tightness: number;
  readonly meter: Meter | undefined;
}

export const DEFAULT_OPTIONS = Object.freeze({ maxCandidates: 4, minSpan: 4, tightness: 100 });

function intIn(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw errors.invalidArgument(`option ${name} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
  return v;
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw errors.invalidArgument(`option ${name} must be a finite number > 0 (got ${String(v)})`);
  }
  return v;
}

/** Validates options at the public entry; throws INVALID_ARGUMENT naming the offending option. */
export function resolveOptions(opts: AnalysisOptions | undefined): ResolvedOptions {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    throw errors.invalidArgument('options must be an object');
  }
  const o = (opts ?? {}) as Record<string, unknown>;
  const known = new Set(['maxCandidates', 'threshold', 'minSpan', 'tightness', 'meter']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw errors.invalidArgument(`unknown option ${k}`);
  if (o.meter !== undefined && o.meter !== 2 && o.meter !== 3 && o.meter !== 4) {
    throw errors.invalidArgument(`option meter must be 2, 3 or 4 (got ${String(o.meter)})`);
  }
  return Object.freeze({
    maxCandidates: o.maxCandidates === undefined ? DEFAULT_OPTIONS.maxCandidates : intIn(o.maxCandidates, 'maxCandidates', 0, 32),
    threshold: o.threshold === undefined ? undefined : positive(o.threshold, 'threshold'),
    minSpan: o.minSpan === undefined ? DEFAULT_OPTIONS.minSpan : intIn(o.minSpan, 'minSpan', 1, 64),
    tightness: o.tightness === undefined ? DEFAULT_OPTIONS.tightness : positive(o.tightness, 'tightness'),
    meter: o.meter as Meter | undefined,
  });
}

/** Validates the PCM input; throws INVALID_ARGUMENT naming the field. Cost O(1). */
export function validatePcm(input: { channels: readonly Float32Array[]; sampleRate: number }): void {
  if (typeof input !== 'object' || input === null) throw errors.invalidArgument('input must be an object');
  const { channels, sampleRate } = input;
  if (!Array.isArray(channels) || channels.length === 0) {
    throw errors.invalidArgument('input.channels must be a non-empty array of Float32Array');
  }
  const n = channels[0] instanceof Float32Array ? channels[0].length : -1;
  for (let i = 0; i < channels.length; i++) {
    if (!(channels[i] instanceof Float32Array)) throw errors.invalidArgument(`input.channels[${i}] must be a Float32Array`);
    if (channels[i].length !== n) throw errors.invalidArgument(`input.channels[${i}] length differs from channel 0`);
  }
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 4000 || sampleRate > 384000) {
    throw errors.invalidArgument(`input.sampleRate must be an integer from 4000 to 384000 (got ${String(sampleRate)})`);
  }
}
