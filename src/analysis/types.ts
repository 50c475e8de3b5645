import type { JumpFeatureInput } from '../policy/features.js';
import type { DownmixKind } from './downmix.js';

/**
 * The analysis JSON schema (documented for humans in SCHEMA.md). Bump ANALYSIS_VERSION whenever a field's
 * meaning or the numbers produced for the same audio change: caches are keyed by track sha256 + version.
 */
export const ANALYSIS_VERSION = 2 as const;

/** Beats per bar. */
export type Meter = 2 | 3 | 4;

/** 'ok': beats found. 'no_beats': silence, too short, or no pulse; `beats`, `sections`, `candidates` are empty. */
export type AnalysisStatus = 'ok' | 'no_beats';

export interface TrackMeta {
  /** Length of the input audio in seconds. */
  duration: number;
  /** Sample rate of the input PCM in Hz. */
  sample_rate: number;
  /** Rate the analysis ran at (the input is resampled to it), Hz. */
  analysis_sample_rate: number;
  /** Tempo in beats per minute (0 when status is 'no_beats'). From the tracked beats when there are enough. */
  tempo: number;
  /** Median over the tempogram windows of the normalized onset autocorrelation at the local beat period, [0, 1]. */
  tempo_confidence: number;
  /** Which signal was analysed: 'mono' (one channel), 'mid' ((L + R) / 2) or 'side' ((L - R) / 2, phase-opposed stereo). */
  downmix: DownmixKind;
  /** Beats per bar: 2, 3 or 4 (4 when unknown). 6/8 felt in two dotted-quarter beats is 2. */
  meter: Meter;
  /** Number of beats (= beats.length). */
  n_beats: number;
  /** Context distance threshold the candidate graph used (auto-tuned unless given in the options). */
  threshold: number;
  /**
   * The last beat that has a backward candidate, or -1. The player must always take a backward jump here:
   * beats after it have no way back, and no candidate targets a beat after it.
   */
  last_branch_beat: number;
}

export interface Beat {
  /** Start time in seconds from the start of the audio. */
  start: number;
  /** Seconds until the next beat's start (the last beat gets the median beat length, clipped to the audio). */
  duration: number;
  /**
   * How sure the tracker is of this beat, in [0, 1]: the local pulse clarity there times the onset support of
   * the beats around it (confidence.ts). Beats below MIN_JUMP_CONFIDENCE are never a jump's source or target.
   */
  confidence: number;
  /** Position in the bar, 0 .. meter - 1 (0 = downbeat). */
  bar_position: number;
  /** Index into `sections`. */
  section: number;
  /** Level at the beat's start, dBFS (a full-scale sine reads about -3). */
  loudness_start: number;
  /** Loudest frame within the beat, dBFS. */
  loudness_max: number;
  /** Onset strength at the beat's start, divided by the track's mean beat onset strength. */
  onset: number;
  /** 12 pitch classes C .. B, normalized so the strongest is 1 (all 0 in silence). */
  chroma: number[];
  /** 13 MFCCs of the beat's mean log-mel spectrum (coefficient 0 is overall level). */
  timbre: number[];
}

export interface Section {
  /** First beat (inclusive). */
  start_beat: number;
  /** Last beat + 1 (exclusive). */
  end_beat: number;
  /** 'A', 'B', ...: sections with the same label sound alike (first occurrence order). */
  label: string;
}

/**
 * A possible jump. Semantics: when playback is about to start beat `source` (the index of the list it is in),
 * it may start beat `target` instead and continue from there. Beats source and target are acoustically
 * equivalent, so the splice sits between (source - 1, target).
 */
export interface Candidate {
  /** Index of the beat to play instead of the source beat. */
  target: number;
  /** Weighted context distance (0 = identical context; see DISTANCE_WEIGHTS), below `threshold` unless `forced`. */
  distance: number;
  /** True for the candidate added by the last-branch-point pass above the threshold. */
  forced: boolean;
  /** The quality-model input of this jump (keys of JumpFeatureInput in src/policy/features.ts). */
  features: Required<{ [K in keyof JumpFeatureInput]: NonNullable<JumpFeatureInput[K]> }>;
}

/** Wall time of each pipeline stage in milliseconds. */
export type StageTimings = Record<StageName, number>;
export const STAGES = [
  'resample',
  'stft',
  'onset',
  'tempo',
  'beats',
  'features',
  'meter',
  'sections',
  'candidates',
] as const;
export type StageName = (typeof STAGES)[number];

export interface AnalysisResult {
  version: typeof ANALYSIS_VERSION;
  status: AnalysisStatus;
  /** Human-readable reason when status is 'no_beats', else null. */
  warning: string | null;
  track: TrackMeta;
  beats: Beat[];
  sections: Section[];
  /** candidates[i] are beat i's jumps, nearest first (at most `maxCandidates`, plus a forced one). */
  candidates: Candidate[][];
  /** Stage timings; the only field that differs between two runs on the same input. */
  timings_ms: StageTimings;
}
