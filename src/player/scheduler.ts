/**
 * Look-ahead scheduling of beats on an audio clock, in integer sample frames (the AudioContext runs at
 * the buffer's sample rate, so one frame = one buffer sample and every start, stop and fade lands on an
 * exact sample). Pure and browser-safe: the Web Audio calls sit behind `AudioSink`, so Node tests drive
 * it with a fake clock.
 *
 * Audio plays in RUNS: one source node per stretch of contiguous audio, from a jump target until the next
 * jump. A timer calls `pump` (often when visible, about once a second in a background tab); it decides each
 * beat that starts before the horizon, and a jump cuts the current run and starts the next one with the
 * splice module's equal-power crossfade. Because runs keep playing on their own, a late or throttled timer
 * never causes a gap: the beats it missed simply play on, and a jump whose fade would start in the past is
 * dropped rather than played late.
 */
import { BeatGrid, jumpFade } from './grid.js';

/** What the scheduler needs of Web Audio (implemented over AudioBufferSourceNode + GainNodes in the page). */
export interface AudioSink<R> {
  /** Plays the buffer from `offset` (samples) at `frame`; `fadeIn` > 0 ramps it in with the equal-power curve. */
  startRun(frame: number, offset: number, fadeIn: number): R;
  /** Equal-power fade-out of `fade` samples from `frame`, then stop (a jump's outgoing side). */
  fadeOutRun(run: R, frame: number, fade: number): void;
  /** Pause / seek: fades the run out over `fade` samples from `frame` (its own gain stage), then stop. */
  killRun(run: R, frame: number, fade: number): void;
}

/** A jump the scheduler placed: its decision and the frame where the source beat would have started. */
export interface ScheduledJump<D> {
  decision: D;
  spliceFrame: number;
}

export interface TimelineEntry<D = unknown> {
  /** Frame at which this beat starts sounding. */
  frame: number;
  beat: number;
  /** The beat the player jumped away from to get here (policy jump, wrap or seek), else null. */
  jumpFrom: number | null;
  kind: 'beat' | 'jump' | 'wrap' | 'seek';
  /** The policy decision of a 'jump' entry (logged once it is heard: a jump cut off by a pause never sounded). */
  decision: D | null;
}

export interface SchedulerOptions {
  sampleRate: number;
  /** Frames of the buffer (per channel). */
  length: number;
  /** Read at each jump, so a settings change applies to the next one. */
  crossfadeMs: () => number;
  /** Frames between "now" and the earliest frame anything may be scheduled at (render quantum + jitter). */
  marginFrames?: number;
}

interface Run<R> {
  handle: R;
  startFrame: number;
  offset: number;
  /** Frame after which it is silent (null while open-ended). */
  stopFrame: number | null;
}

export class Scheduler<R, D extends { source: number; target: number }> {
  readonly #grid: BeatGrid;
  readonly #sink: AudioSink<R>;
  readonly #o: Required<SchedulerOptions>;
  #runs: Run<R>[] = [];
  #running = false;
  #nextBeat = 0;
  #nextFrame = 0;
  /** No new fade may start before this frame: the previous one still automates the same gain node. */
  #busyUntil = 0;
  #timeline: TimelineEntry<D>[] = [];
  /** Index of the first timeline entry not yet heard. */
  #heard = 0;
  readonly counts = { beatsHeard: 0, jumpsHeard: 0, jumpsScheduled: 0, jumpsDropped: 0 };

  constructor(grid: BeatGrid, sink: AudioSink<R>, opts: SchedulerOptions) {
    this.#grid = grid;
    this.#sink = sink;
    this.#o = { marginFrames: Math.round(opts.sampleRate * 0.02), ...opts };
  }

  get running(): boolean {
    return this.#running;
  }

  #fadeSamples(): number {
    return Math.round((this.#o.crossfadeMs() * this.#o.sampleRate) / 1000);
  }

  /** Starts playing at beat `beat` (null: the very start of the buffer, lead-in included) at `nowFrame + lead`. */
  start(nowFrame: number, beat: number | null, leadFrames = 0): void {
    if (this.#running) return;
    const g = this.#grid;
    const frame = nowFrame + Math.max(this.#o.marginFrames, leadFrames);
    const b = beat === null ? 0 : Math.min(Math.max(0, beat), g.count - 1);
    const offset = beat === null ? 0 : g.starts[b];
    const fade = beat === null ? 0 : Math.min(this.#fadeSamples(), g.length - offset);
    this.#runs = [{ handle: this.#sink.startRun(frame, offset, fade), startFrame: frame, offset, stopFrame: null }];
    this.#busyUntil = frame + fade;
    this.#nextBeat = b;
    this.#nextFrame = frame + (g.starts[b] - offset);
    this.#timeline = [];
    this.#heard = 0;
    this.#running = true;
  }

  /**
   * Schedules every beat that starts before `horizonFrame`, asking `decide` about each one still far
   * enough in the future. Returns the jumps placed; decided jumps whose fade would start too late are
   * dropped and counted instead; `placedJump` hears of each jump placed, before the next beat is
   * decided. Call `advance` afterwards to learn what has become audible.
   */
  pump(nowFrame: number, horizonFrame: number, decide: (beat: number) => D | null, placedJump?: (decision: D) => void): ScheduledJump<D>[] {
    const placed: ScheduledJump<D>[] = [];
    if (!this.#running) return placed;
    const g = this.#grid;
    const earliest = nowFrame + this.#o.marginFrames;
    while (this.#nextFrame < horizonFrame) {
      const b = this.#nextBeat;
      if (b >= g.count) {
        this.#wrap(nowFrame);
        continue;
      }
      let played = b;
      let kind: TimelineEntry['kind'] = 'beat';
      let taken: D | null = null;
      // A beat already sounding (a throttled timer) plays on untouched: no decision, so no late jump.
      const d = this.#nextFrame >= earliest ? decide(b) : null;
      if (d) {
        const fade = jumpFade(g.starts[b], g.starts[d.target], this.#o.sampleRate, g.length, this.#o.crossfadeMs());
        const fadeStart = this.#nextFrame - fade.fadeBefore;
        if (fadeStart < earliest || fadeStart < this.#busyUntil) {
          this.counts.jumpsDropped++;
        } else {
          this.#splice(this.#nextFrame, fade.fadeBefore, fade.fadeAfter, fade.target);
          placed.push({ decision: d, spliceFrame: this.#nextFrame });
          placedJump?.(d); // before the next beat is decided
          this.counts.jumpsScheduled++;
          played = d.target;
          kind = 'jump';
          taken = d;
        }
      }
      this.#timeline.push({ frame: this.#nextFrame, beat: played, jumpFrom: kind === 'jump' ? b : null, kind, decision: taken });
      this.#nextFrame += g.span(played);
      this.#nextBeat = played + 1;
    }
    return placed;
  }

  /** Past the last beat: back to beat 0 (not a policy decision, never logged), as early as possible if late. */
  #wrap(nowFrame: number): void {
    const g = this.#grid;
    const half = Math.ceil(this.#fadeSamples() / 2);
    const splice = Math.max(this.#nextFrame, nowFrame + this.#o.marginFrames + half, this.#busyUntil + half);
    const run = this.#current();
    const source = Math.min(g.length, run.offset + (splice - run.startFrame));
    const fade = jumpFade(source, g.starts[0], this.#o.sampleRate, g.length, this.#o.crossfadeMs());
    this.#splice(splice, fade.fadeBefore, fade.fadeAfter, fade.target);
    this.#timeline.push({ frame: splice, beat: 0, jumpFrom: g.count - 1, kind: 'wrap', decision: null });
    this.#nextFrame = splice + g.span(0);
    this.#nextBeat = 1;
  }

  #current(): Run<R> {
    return this.#runs[this.#runs.length - 1];
  }

  /** Cuts the current run at `splice` and continues from buffer sample `target`, crossfaded around the splice. */
  #splice(splice: number, fadeBefore: number, fadeAfter: number, target: number): void {
    const fade = fadeBefore + fadeAfter;
    const start = splice - fadeBefore;
    const old = this.#current();
    this.#sink.fadeOutRun(old.handle, start, fade);
    old.stopFrame = start + fade;
    this.#runs.push({ handle: this.#sink.startRun(start, target - fadeBefore, fade), startFrame: start, offset: target - fadeBefore, stopFrame: null });
    this.#busyUntil = start + fade;
  }

  /** Fades everything out from `nowFrame` (+ margin); returns the beat to resume at. */
  stop(nowFrame: number): number {
    if (!this.#running) return 0;
    const at = nowFrame + this.#o.marginFrames;
    const resume = this.beatAt(nowFrame)?.beat ?? this.#nextBeat;
    for (const r of this.#runs) this.#sink.killRun(r.handle, at, this.#fadeSamples());
    this.#runs = [];
    this.#running = false;
    // What was scheduled past the fade-out never sounds: a jump there must not be reported as heard.
    this.#timeline = this.#timeline.filter((e) => e.frame < at);
    this.#heard = Math.min(this.#heard, this.#timeline.length);
    return Math.min(resume, this.#grid.count - 1);
  }

  /** A listener's seek: crossfades from whatever plays now to the start of `beat`. */
  seek(nowFrame: number, beat: number): void {
    if (!this.#running) return;
    const g = this.#grid;
    const b = Math.min(Math.max(0, beat), g.count - 1);
    const at = nowFrame + this.#o.marginFrames;
    const fade = Math.min(this.#fadeSamples(), g.length - g.starts[b]);
    for (const r of this.#runs) this.#sink.killRun(r.handle, at, fade);
    this.#runs = [{ handle: this.#sink.startRun(at, g.starts[b], fade), startFrame: at, offset: g.starts[b], stopFrame: null }];
    this.#busyUntil = at + fade;
    // Beats scheduled after the seek point never sound: forget them.
    this.#timeline = this.#timeline.filter((e) => e.frame < at);
    this.#heard = Math.min(this.#heard, this.#timeline.length);
    this.#timeline.push({ frame: at, beat: b, jumpFrom: null, kind: 'seek', decision: null });
    this.#nextBeat = b + 1;
    this.#nextFrame = at + g.span(b);
  }

  /** Counts entries that have started sounding by `nowFrame`; returns them (for jump animations). */
  advance(nowFrame: number): TimelineEntry<D>[] {
    const out: TimelineEntry<D>[] = [];
    while (this.#heard < this.#timeline.length && this.#timeline[this.#heard].frame <= nowFrame) {
      const e = this.#timeline[this.#heard++];
      this.counts.beatsHeard++;
      if (e.kind === 'jump') this.counts.jumpsHeard++;
      out.push(e);
    }
    // Keep a bounded history: heard entries beyond the current one are no longer needed.
    if (this.#heard > 256) {
      const drop = this.#heard - 1;
      this.#timeline.splice(0, drop);
      this.#heard -= drop;
    }
    this.#runs = this.#runs.filter((r) => r.stopFrame === null || r.stopFrame > nowFrame);
    return out;
  }

  /** The beat sounding at `frame` (the last entry that started by then), or null before the first. */
  beatAt(frame: number): TimelineEntry<D> | null {
    for (let i = this.#timeline.length - 1; i >= 0; i--) if (this.#timeline[i].frame <= frame) return this.#timeline[i];
    return null;
  }

  /** Buffer position (samples) sounding at `frame`, or null when stopped or before the first run. */
  positionAt(frame: number): number | null {
    for (let i = this.#runs.length - 1; i >= 0; i--) {
      const r = this.#runs[i];
      if (r.startFrame <= frame) return Math.min(this.#grid.length, r.offset + (frame - r.startFrame));
    }
    return null;
  }
}
