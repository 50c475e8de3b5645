import type { BeatFeatures } from './beatsync.js';
import { N_MFCC } from './beatsync.js';
import type { RawCandidate } from './candidates.js';
import { round } from './numeric.js';
import type { Beat, Candidate } from './types.js';

/**
 * Typed arrays -> the JSON objects of the schema, with the rounding that keeps the JSON compact and identical
 * across runs (rounding also maps any non-finite value to 0, so no NaN can reach the JSON).
 */

export interface BeatColumns {
  readonly starts: Float64Array;
  readonly durations: Float32Array;
  readonly confidence: Float32Array;
  readonly barPos: Uint8Array;
  readonly sectionOf: Int32Array;
  /** Normalized onset strength per beat. */
  readonly onset: Float32Array;
  readonly features: BeatFeatures;
}

/** One Beat object per beat. Cost O(beats * 25). */
export function toBeatJson(c: BeatColumns): Beat[] {
  const f = c.features;
  const beats: Beat[] = [];
  for (let i = 0; i < f.nBeats; i++) {
    beats.push({
      start: round(c.starts[i], 4),
      duration: round(c.durations[i], 4),
      confidence: round(c.confidence[i], 3),
      bar_position: c.barPos[i],
      section: c.sectionOf[i],
      loudness_start: round(f.loudnessStart[i], 2),
      loudness_max: round(f.loudnessMax[i], 2),
      onset: round(c.onset[i], 3),
      chroma: Array.from(f.chroma.subarray(i * 12, i * 12 + 12), (v) => round(v, 3)),
      timbre: Array.from(f.mfcc.subarray(i * N_MFCC, i * N_MFCC + N_MFCC), (v) => round(v, 2)),
    });
  }
  return beats;
}

/** Rounds the candidate graph for the JSON. Cost O(candidates). */
export function toCandidateJson(lists: readonly RawCandidate[][]): Candidate[][] {
  return lists.map((list) =>
    list.map((c) => ({
      target: c.target,
      distance: round(c.distance, 4),
      forced: c.forced,
      features: {
        similarity: round(c.features.similarity, 4),
        span: c.features.span,
        n_beats: c.features.n_beats,
        same_section: c.features.same_section,
        bar_position_match: c.features.bar_position_match,
        loudness_delta_db: round(c.features.loudness_delta_db, 3),
        timbre_distance: round(c.features.timbre_distance, 3),
        chroma_distance: round(c.features.chroma_distance, 4),
        beat_duration_ratio: round(c.features.beat_duration_ratio, 4),
        onset_mismatch: round(c.features.onset_mismatch, 4),
      },
    })),
  );
}
