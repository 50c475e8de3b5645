/**
 * The Web Audio side of the scheduler: each run is an AudioBufferSourceNode → crossfade GainNode → kill
 * GainNode → destination. The crossfade gain carries the splice module's equal-power curves (jumps); the
 * kill gain is separate so a pause or seek never collides with a curve already scheduled on the other.
 * All times are integer frames of a context running at the buffer's sample rate.
 */
import { equalPowerGains } from '../../render/splice.js';
import type { AudioSink } from '../scheduler.js';

export interface RunHandle {
  node: AudioBufferSourceNode;
  fadeGain: GainNode;
  killGain: GainNode;
  /** Frame of the earliest stop() asked for (a later request must not extend it). */
  stopAt: number;
}

export class WebAudioSink implements AudioSink<RunHandle> {
  readonly #curves = new Map<number, { fadeIn: Float32Array; fadeOut: Float32Array }>();

  constructor(
    private readonly ctx: AudioContext,
    private readonly buffer: AudioBuffer,
    private readonly out: AudioNode = ctx.destination,
  ) {}

  #t(frame: number): number {
    return frame / this.ctx.sampleRate;
  }

  /** Fade-in gains g[k] = sin(((k+½)/n)·π/2) from splice.ts; the fade-out is the same array reversed. */
  #curve(n: number) {
    let c = this.#curves.get(n);
    if (!c) {
      const fadeIn = equalPowerGains(n);
      c = { fadeIn, fadeOut: fadeIn.slice().reverse() };
      if (this.#curves.size > 16) this.#curves.clear(); // bounded: one entry per crossfade length in use
      this.#curves.set(n, c);
    }
    return c;
  }

  /**
   * Puts `values` on `param` so frame `frame + k` gets exactly values[k]: setValueCurveAtTime interpolates
   * linearly between N points spread over its duration, so N points span N − 1 frames. Returns the frame
   * the curve really starts at: Web Audio moves a curve that starts in the past to the current time, and the
   * closing value must then move with it (else it lands inside the curve, which throws). The scheduler's
   * margin keeps jumps clear of this; it matters for pause / seek under a slow main thread.
   */
  #applyCurve(param: AudioParam, values: Float32Array, frame: number, after: number): number {
    const n = values.length;
    const start = Math.max(frame, Math.ceil(this.ctx.currentTime * this.ctx.sampleRate) + 1);
    if (n >= 2) param.setValueCurveAtTime(values, this.#t(start), (n - 1) / this.ctx.sampleRate);
    else if (n === 1) param.setValueAtTime(values[0], this.#t(start));
    param.setValueAtTime(after, this.#t(start + n));
    return start;
  }

  startRun(frame: number, offset: number, fadeIn: number): RunHandle {
    const node = this.ctx.createBufferSource();
    node.buffer = this.buffer;
    const fadeGain = this.ctx.createGain();
    const killGain = this.ctx.createGain();
    node.connect(fadeGain).connect(killGain).connect(this.out);
    if (fadeIn > 0) {
      fadeGain.gain.setValueAtTime(0, 0);
      this.#applyCurve(fadeGain.gain, this.#curve(fadeIn).fadeIn, frame, 1);
    }
    const remaining = Math.max(0, this.buffer.length - offset);
    // start(when, offset, duration): sample-exact; the duration runs to the end of the buffer (a jump stops it sooner).
    node.start(this.#t(frame), offset / this.buffer.sampleRate, remaining / this.buffer.sampleRate);
    const handle: RunHandle = { node, fadeGain, killGain, stopAt: Infinity };
    node.onended = () => {
      node.disconnect();
      killGain.disconnect();
    };
    return handle;
  }

  #stop(run: RunHandle, frame: number): void {
    if (frame >= run.stopAt) return;
    run.stopAt = frame;
    try {
      run.node.stop(this.#t(frame));
    } catch {
      /* already stopped */
    }
  }

  fadeOutRun(run: RunHandle, frame: number, fade: number): void {
    const start = this.#applyCurve(run.fadeGain.gain, this.#curve(fade).fadeOut, frame, 0);
    this.#stop(run, start + fade);
  }

  killRun(run: RunHandle, frame: number, fade: number): void {
    if (frame >= run.stopAt) return;
    const start = this.#applyCurve(run.killGain.gain, this.#curve(fade).fadeOut, frame, 0);
    this.#stop(run, start + fade);
  }
}
