import { mulberry32 } from '../shared/prng.js';

/**
 * One-shot instrument voices rendered into Float32Arrays once and then mixed by addition, so identical
 * notes are sample-identical wherever they occur (repeats splice seamlessly) and generation stays fast.
 */

/** Adds `src * gain` into `dst` starting at sample `at` (clipped at the end). Cost O(src.length). */
export function mixInto(dst: Float32Array, src: Float32Array, at: number, gain = 1): void {
  const start = Math.max(0, at);
  const end = Math.min(dst.length, at + src.length);
  for (let i = start; i < end; i++) dst[i] += src[i - at] * gain;
}

/** Kick: a sine sweeping 150 -> 45 Hz with a fast exponential decay. */
export function kick(sr: number, dur = 0.35): Float32Array {
  const n = Math.round(sr * dur);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const f = 45 + 105 * Math.exp(-t * 30);
    phase += (2 * Math.PI * f) / sr;
    out[i] = Math.sin(phase) * Math.exp(-t * 9) * Math.min(1, i / 20);
  }
  return out;
}

/** Snare: seeded noise burst plus a 190 Hz body. */
export function snare(sr: number, seed: number, dur = 0.22): Float32Array {
  const rnd = mulberry32(seed);
  const n = Math.round(sr * dur);
  const out = new Float32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const white = rnd() * 2 - 1;
    const hp = white - prev * 0.5; // mild high-pass tilt: a snare is bright
    prev = white;
    out[i] = (0.7 * hp * Math.exp(-t * 18) + 0.5 * Math.sin(2 * Math.PI * 190 * t) * Math.exp(-t * 25)) * Math.min(1, i / 10);
  }
  return out;
}

/** Closed hi-hat: high-passed seeded noise, very short. */
export function hat(sr: number, seed: number, dur = 0.05): Float32Array {
  const rnd = mulberry32(seed);
  const n = Math.round(sr * dur);
  const out = new Float32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const white = rnd() * 2 - 1;
    out[i] = (white - prev) * 0.5 * Math.exp((-i / sr) * 70);
    prev = white;
  }
  return out;
}

/** Short click (a windowed 2 kHz burst of 10 ms), the metronome sound. */
export function click(sr: number, freq = 2000): Float32Array {
  const n = Math.round(sr * 0.01);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin((2 * Math.PI * freq * i) / sr) * Math.sin((Math.PI * i) / n);
  return out;
}

/** Frequency of a MIDI note. */
export const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);

/**
 * A tone with a few harmonics (weights `harm`) and an attack / exponential-decay / release envelope.
 * Cost O(n * harmonics).
 */
export function tone(sr: number, hz: number, dur: number, harm: readonly number[], decay: number): Float32Array {
  const n = Math.round(sr * dur);
  const out = new Float32Array(n);
  const attack = Math.round(sr * 0.005);
  const release = Math.round(sr * 0.03);
  for (let h = 0; h < harm.length; h++) {
    const f = hz * (h + 1);
    if (f >= sr / 2) break;
    const w = (2 * Math.PI * f) / sr;
    const g = harm[h];
    // Recursive oscillator: one multiply-add per sample instead of a sin() call.
    const c = 2 * Math.cos(w);
    let y1 = Math.sin(-w);
    let y2 = Math.sin(-2 * w);
    for (let i = 0; i < n; i++) {
      const y = c * y1 - y2;
      y2 = y1;
      y1 = y;
      out[i] += g * y;
    }
  }
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / attack) * Math.min(1, (n - i) / release) * Math.exp((-i / sr) * decay);
    out[i] *= env;
  }
  return out;
}
