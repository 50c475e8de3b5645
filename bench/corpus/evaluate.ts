/**
 * Scores one analysis against a corpus song's truth with the standard beat-tracking metrics (mir_eval
 * conventions: beats before 5 s are not scored) and the jump-phase agreement of its candidate graph.
 */
import { beatFMeasure, continuity, tempoAccuracy, trimBeatTimes } from '../../src/analysis/metrics.js';
import type { AnalysisResult } from '../../src/analysis/types.js';
import type { ComposedSong } from './compose.js';

/** A jump keeps the beat when its two ends sit at true beat phases within this many beats of each other. */
export const JUMP_PHASE_TOLERANCE = 0.1;

export interface TrackScore {
  readonly name: string;
  readonly genre: string;
  readonly beatF: number;
  readonly cmlt: number;
  readonly amlt: number;
  readonly tempoAcc1: boolean;
  readonly tempoAcc2: boolean;
  readonly downbeatF: number;
  readonly noBeats: boolean;
  /** Candidate jumps whose ends agree in true beat phase, and all candidates. */
  readonly jumpsInPhase: number;
  readonly jumps: number;
  readonly referenceBpm: number;
  readonly estimatedBpm: number;
  readonly meter: number;
}

/** Position of time t in true beats (fractional), from the tempo map's beat times. Cost O(log beats). */
export function trueBeatPosition(beatTimes: Float64Array, t: number): number {
  let lo = 0;
  let hi = beatTimes.length - 1;
  if (t <= beatTimes[0]) return 0;
  if (t >= beatTimes[hi]) {
    const last = beatTimes[hi] - beatTimes[hi - 1];
    return hi + (t - beatTimes[hi]) / last;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (beatTimes[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo + (t - beatTimes[lo]) / (beatTimes[lo + 1] - beatTimes[lo]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** All metrics of one track. Cost O(beats^2) for the continuity metrics. */
export function scoreTrack(song: ComposedSong, result: AnalysisResult): TrackScore {
  const est = result.beats.map((b) => b.start);
  const estDown = result.beats.filter((b) => b.bar_position === 0).map((b) => b.start);
  const ref = trimBeatTimes(song.beats);
  const e = trimBeatTimes(est);
  const c = continuity(ref, e);
  const ibis: number[] = [];
  for (let i = 1; i < song.beats.length; i++) ibis.push(song.beats[i] - song.beats[i - 1]);
  const referenceBpm = 60 / median(ibis);
  const t = tempoAccuracy(referenceBpm, result.track.tempo);
  let jumps = 0;
  let inPhase = 0;
  result.candidates.forEach((list, i) => {
    for (const cand of list) {
      const a = trueBeatPosition(song.beatTimes, result.beats[i].start);
      const b = trueBeatPosition(song.beatTimes, result.beats[cand.target].start);
      const d = Math.abs((((a - b) % 1) + 1.5) % 1 - 0.5);
      jumps++;
      if (d <= JUMP_PHASE_TOLERANCE) inPhase++;
    }
  });
  return {
    name: song.spec.name,
    genre: song.spec.genre,
    beatF: beatFMeasure(ref, e).f,
    cmlt: c.cmlt,
    amlt: c.amlt,
    tempoAcc1: t.acc1,
    tempoAcc2: t.acc2,
    downbeatF: beatFMeasure(trimBeatTimes(song.downbeats), trimBeatTimes(estDown)).f,
    noBeats: result.status === 'no_beats',
    jumpsInPhase: inPhase,
    jumps,
    referenceBpm,
    estimatedBpm: result.track.tempo,
    meter: result.track.meter,
  };
}

export interface Summary {
  readonly tracks: number;
  readonly beatF: number;
  readonly cmlt: number;
  readonly amlt: number;
  readonly tempoAcc1: number;
  readonly tempoAcc2: number;
  readonly downbeatF: number;
  readonly falseNoBeats: number;
  readonly jumpPhase: number;
  readonly jumps: number;
}

/** Means over tracks (mir_eval style); jump-phase agreement pooled over all candidates of the group. */
export function summarize(scores: readonly TrackScore[]): Summary {
  const n = scores.length || 1;
  const m = (f: (s: TrackScore) => number): number => scores.reduce((a, s) => a + f(s), 0) / n;
  const jumps = scores.reduce((a, s) => a + s.jumps, 0);
  return {
    tracks: scores.length,
    beatF: m((s) => s.beatF),
    cmlt: m((s) => s.cmlt),
    amlt: m((s) => s.amlt),
    tempoAcc1: m((s) => +s.tempoAcc1),
    tempoAcc2: m((s) => +s.tempoAcc2),
    downbeatF: m((s) => s.downbeatF),
    falseNoBeats: scores.filter((s) => s.noBeats).length,
    jumpPhase: jumps > 0 ? scores.reduce((a, s) => a + s.jumpsInPhase, 0) / jumps : 0,
    jumps,
  };
}
