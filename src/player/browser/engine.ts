/**
 * Playback of one track: decodes it once into one AudioBuffer (at the track's own sample rate when the
 * browser allows, so beat positions are the same samples the server's renderer uses), and drives the
 * look-ahead Scheduler from a timer while scheduling by the AudioContext clock. Jump decisions come from
 * the JukeboxPolicy; each placed jump is reported to `onJump` (the caller logs it).
 */
import type { AnalysisResult } from '../../analysis/types.js';
import { BeatGrid } from '../grid.js';
import type { JukeboxPolicy, JumpDecision } from '../jukebox.js';
import { Scheduler, type TimelineEntry } from '../scheduler.js';
import { WebAudioSink, type RunHandle } from './sink.js';

/** Visible tab: ~25 ms timer, 250 ms ahead. Hidden tab: timers may fire only once a second, so 1.5 s ahead. */
const TICK_MS = 25;
const AHEAD_VISIBLE_S = 0.25;
const AHEAD_HIDDEN_S = 1.5;
const START_LEAD_S = 0.1;
/** Earliest a jump's fade may start after "now" (render quanta already in flight + timer jitter). */
const MIN_MARGIN_S = 0.04;

export interface EngineEvents {
  /**
   * Timeline entries that just became audible (beats, jumps, wraps, seeks), each with how many ms ago it
   * started sounding. A policy jump is reported here, once heard, never when merely scheduled: a pause
   * or seek may still cancel a scheduled jump.
   */
  onHeard(entries: readonly { entry: TimelineEntry<JumpDecision>; agoMs: number }[]): void;
}

export class PlayerEngine {
  readonly ctx: AudioContext;
  readonly buffer: AudioBuffer;
  readonly grid: BeatGrid;
  readonly #scheduler: Scheduler<RunHandle, JumpDecision>;
  readonly #marginFrames: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #resumeBeat: number | null = null;
  /** Where playback stands while paused (s): signals sent while paused report it, not 0. */
  #pausedAt = 0;
  #lastTick = 0;
  /** Seconds of audio heard (context time while playing). */
  listened = 0;
  /** True while the listener holds shift (or the force button): every beat that can jump does. */
  forcing = false;

  private constructor(
    ctx: AudioContext,
    buffer: AudioBuffer,
    analysis: AnalysisResult,
    private readonly policy: JukeboxPolicy,
    private readonly events: EngineEvents,
  ) {
    this.ctx = ctx;
    this.buffer = buffer;
    this.grid = new BeatGrid(analysis.beats, buffer.sampleRate, buffer.length);
    // The audio thread renders ahead of currentTime by about its buffer: nothing may be scheduled inside it.
    this.#marginFrames = Math.round(Math.max(MIN_MARGIN_S, 3 * (ctx.baseLatency || 0)) * buffer.sampleRate);
    this.#scheduler = new Scheduler(this.grid, new WebAudioSink(ctx, buffer), {
      sampleRate: buffer.sampleRate,
      length: buffer.length,
      crossfadeMs: () => this.policy.settings.crossfadeMs,
      // The audio thread renders ahead of currentTime by about its buffer: nothing may be scheduled inside it.
      marginFrames: this.#marginFrames,
    });
  }

  static async create(bytes: ArrayBuffer, sampleRate: number, analysis: AnalysisResult, policy: JukeboxPolicy, events: EngineEvents): Promise<PlayerEngine> {
    let ctx: AudioContext;
    try {
      // 'interactive' (small render buffers): with 'playback' the audio thread renders so far ahead of
      // currentTime that a look-ahead scheduler must keep a much larger margin.
      ctx = new AudioContext({ sampleRate: sampleRate > 0 ? sampleRate : undefined, latencyHint: 'interactive' });
    } catch {
      ctx = new AudioContext({ latencyHint: 'interactive' }); // a rate the browser refuses: it resamples on decode
    }
    try {
      const buffer = await ctx.decodeAudioData(bytes);
      return new PlayerEngine(ctx, buffer, analysis, policy, events);
    } catch (err) {
      void ctx.close();
      throw err;
    }
  }

  get playing(): boolean {
    return this.#scheduler.running;
  }

  get counts() {
    return this.#scheduler.counts;
  }

  #now(): number {
    return Math.round(this.ctx.currentTime * this.ctx.sampleRate);
  }

  async play(): Promise<void> {
    if (this.playing) return;
    await this.ctx.resume();
    // Two presses while resume() waited (e.g. for a user gesture) must not start two timers.
    if (this.playing) return;
    this.#scheduler.start(this.#now(), this.#resumeBeat, Math.round(START_LEAD_S * this.ctx.sampleRate));
    this.#lastTick = this.ctx.currentTime;
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  pause(): void {
    if (!this.playing) return;
    this.#tick();
    const now = this.#now();
    this.#pausedAt = (this.#scheduler.positionAt(now) ?? this.#pausedAt * this.buffer.sampleRate) / this.buffer.sampleRate;
    this.#resumeBeat = this.#scheduler.stop(now);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  seek(beat: number): void {
    if (!this.playing) {
      this.#resumeBeat = beat;
      this.#pausedAt = (this.grid.starts[beat] ?? 0) / this.buffer.sampleRate;
      return;
    }
    this.#scheduler.seek(this.#now(), beat);
  }

  /** The beat sounding now, or the one playback would resume at. */
  currentBeat(): number | null {
    if (!this.playing) return this.#resumeBeat;
    return this.#scheduler.beatAt(this.#now())?.beat ?? null;
  }

  /** Seconds into the track sounding now, or where it stands while paused (0 before the first play). */
  position(): number {
    if (!this.playing) return this.#pausedAt;
    const p = this.#scheduler.positionAt(this.#now());
    return p === null ? this.#pausedAt : p / this.buffer.sampleRate;
  }

  #tick(): void {
    if (!this.playing) return;
    const t = this.ctx.currentTime;
    this.listened += Math.max(0, t - this.#lastTick);
    this.#lastTick = t;
    const now = this.#now();
    const ahead = document.visibilityState === 'hidden' ? AHEAD_HIDDEN_S : AHEAD_VISIBLE_S;
    // The horizon always leaves room past the margin, or every jump would count as late.
    const horizon = now + Math.max(Math.round(ahead * this.ctx.sampleRate), this.#marginFrames + Math.round(0.15 * this.ctx.sampleRate));
    this.#scheduler.pump(now, horizon, (beat) => this.policy.decide(beat, this.forcing), (d) => this.policy.jumped(d));
    const heard = this.#scheduler.advance(now);
    if (heard.length > 0) this.events.onHeard(heard.map((entry) => ({ entry, agoMs: ((now - entry.frame) / this.ctx.sampleRate) * 1000 })));
  }

  async close(): Promise<void> {
    this.pause();
    await this.ctx.close().catch(() => {});
  }
}
