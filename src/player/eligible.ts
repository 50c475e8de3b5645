/**
 * Which analysed candidates of a beat the player may take under the current settings, and the beat at
 * which it must jump (track.last_branch_beat). Pure and browser-safe.
 */
import type { AnalysisResult, Beat, Candidate } from '../analysis/types.js';
import { MIN_JUMP_CONFIDENCE } from '../analysis/confidence.js';
import { LONG_SPAN_BEATS, type PlayerSettings } from './settings.js';

/** A candidate with the beat it belongs to (the analysis keeps the source implicit: its list index). */
export interface SourcedCandidate extends Candidate {
  readonly source: number;
}

export type Trigger = 'random' | 'last_branch' | 'forced';

/** The analysis as the player reads it; `beats` (for their confidence) is optional so older callers still fit. */
export type JumpGraph = Pick<AnalysisResult, 'candidates'> & { readonly beats?: readonly Pick<Beat, 'confidence'>[] };

/**
 * The candidates of `beat` that may be taken at all: both ends at or above MIN_JUMP_CONFIDENCE. The analysis
 * (schema 2) already leaves such jumps out; the player checks again so a graph built elsewhere cannot splice
 * on a beat the tracker was unsure of.
 */
export function jumpableCandidates(analysis: JumpGraph, beat: number): Candidate[] {
  const list = analysis.candidates[beat] ?? [];
  const beats = analysis.beats;
  if (!beats || beats.length === 0) return list;
  const ok = (i: number): boolean => (beats[i]?.confidence ?? 1) >= MIN_JUMP_CONFIDENCE;
  return ok(beat) ? list.filter((c) => ok(c.target)) : [];
}

/** Candidates of `beat` that pass the settings' filters, nearest first (the analysis order). */
export function eligibleCandidates(analysis: JumpGraph, beat: number, s: PlayerSettings): SourcedCandidate[] {
  const list = jumpableCandidates(analysis, beat);
  const out: SourcedCandidate[] = [];
  for (const c of list) {
    const span = c.target - beat;
    if (s.threshold !== null && c.distance > s.threshold && !c.forced) continue;
    if (s.onlyBackward && span >= 0) continue;
    if (s.onlyLong && Math.abs(span) < LONG_SPAN_BEATS) continue;
    out.push({ ...c, source: beat });
  }
  return out;
}

/**
 * The candidates a jump at `beat` chooses from when it MUST jump: at the last branch beat only backward
 * jumps (beats after it have no way back), falling back to every backward candidate when the filters
 * leave none; when forced by the listener, the filtered candidates, else every candidate of the beat.
 */
export function mustJumpCandidates(
  analysis: JumpGraph,
  beat: number,
  s: PlayerSettings,
  trigger: Exclude<Trigger, 'random'>,
): SourcedCandidate[] {
  const filtered = eligibleCandidates(analysis, beat, s);
  const all = jumpableCandidates(analysis, beat).map((c) => ({ ...c, source: beat }));
  if (trigger === 'forced') return filtered.length > 0 ? filtered : all;
  const back = filtered.filter((c) => c.target < beat);
  return back.length > 0 ? back : all.filter((c) => c.target < beat);
}
