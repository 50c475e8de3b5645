/**
 * Beats as buffer sample positions, with the splice module's one rounding rule (`toSample`), so a beat
 * starts on exactly the sample the snippet renderer would use. Pure, browser-safe.
 */
import type { Beat } from '../analysis/types.js';
import { planSplice, toSample } from '../render/splice.js';

export class BeatGrid {
  /** Buffer sample where each beat starts. */
  readonly starts: readonly number[];
  /** Buffer sample where each beat ends: the next beat's start, the last beat's end clipped to the buffer. */
  readonly ends: readonly number[];

  /**
   * A track without beats (analysis status 'no_beats') becomes one beat spanning the whole buffer, so
   * playback still loops. Preconditions: beats in time order inside the track, length ≥ 1.
   */
  constructor(
    beats: readonly Pick<Beat, 'start' | 'duration'>[],
    readonly sampleRate: number,
    readonly length: number,
  ) {
    const clip = (v: number) => Math.min(length, Math.max(0, v));
    if (beats.length === 0) {
      this.starts = [0];
      this.ends = [length];
      return;
    }
    const starts = beats.map((b) => clip(toSample(b.start, sampleRate)));
    this.starts = starts;
    this.ends = starts.map((s, i) =>
      i + 1 < starts.length ? starts[i + 1] : Math.max(s, clip(toSample(beats[i].start + beats[i].duration, sampleRate))),
    );
  }

  get count(): number {
    return this.starts.length;
  }

  /** Samples of beat `i` (its duration in samples). */
  span(i: number): number {
    return this.ends[i] - this.starts[i];
  }
}

export interface JumpFade {
  /** Source sample: where the outgoing audio would have continued (the splice point). */
  readonly source: number;
  /** Target sample: where the incoming audio continues. */
  readonly target: number;
  /** Samples of crossfade before and after the splice, clamped to the audio that exists (as in planSplice). */
  readonly fadeBefore: number;
  readonly fadeAfter: number;
}

/**
 * The crossfade of a jump from buffer sample `source` to `target`, taken from the shared splice module so
 * the player fades exactly like the rendered labeling snippet. Cost O(1).
 */
export function jumpFade(source: number, target: number, sampleRate: number, length: number, crossfadeMs: number): JumpFade {
  // Enough context on both sides that only the track's ends (never pre/post) clamp the fade.
  const margin = crossfadeMs / 1000 + 2 / sampleRate;
  const plan = planSplice({
    sourceTime: source / sampleRate,
    targetTime: target / sampleRate,
    pre: margin,
    post: margin,
    crossfadeMs,
    sampleRate,
    length,
  });
  return { source, target, fadeBefore: plan.fadeBefore, fadeAfter: plan.fadeAfter };
}
