import { click, hat, kick, mixInto, snare, tone, midiHz } from './synth.js';

/**
 * Synthetic test signals with known ground truth (beat times), used by the analysis tests and the benchmark.
 */

export interface SyntheticTrack {
  readonly channels: Float32Array[];
  readonly sampleRate: number;
  /** Ground-truth beat times in seconds. */
  readonly beats: number[];
}

/** A metronome: a click on every beat, accented (lower pitch, louder) on each bar's first beat. */
export function clickTrack(bpm: number, seconds: number, sampleRate = 44100, meter = 4): SyntheticTrack {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  const hi = click(sampleRate, 2000);
  const lo = click(sampleRate, 1000);
  const beats: number[] = [];
  const ibi = 60 / bpm;
  const offset = 0.25;
  for (let k = 0; offset + k * ibi < seconds - 0.05; k++) {
    const t = offset + k * ibi;
    beats.push(t);
    mixInto(out, k % meter === 0 ? lo : hi, Math.round(t * sampleRate), k % meter === 0 ? 0.8 : 0.5);
  }
  return { channels: [out], sampleRate, beats };
}

/** A drum loop: kick on beats 1 and 3, snare on 2 and 4, hats on every eighth (off-beats softer), stereo. */
export function drumTrack(bpm: number, seconds: number, sampleRate = 44100): SyntheticTrack {
  const n = Math.round(seconds * sampleRate);
  const l = new Float32Array(n);
  const r = new Float32Array(n);
  const k = kick(sampleRate);
  const s = snare(sampleRate, 7);
  const h = hat(sampleRate, 11);
  const beats: number[] = [];
  const ibi = 60 / bpm;
  const offset = 0.3;
  for (let b = 0; offset + b * ibi < seconds - 0.05; b++) {
    const t = offset + b * ibi;
    beats.push(t);
    const at = Math.round(t * sampleRate);
    const v = b % 2 === 0 ? k : s;
    mixInto(l, v, at, 0.6);
    mixInto(r, v, at, 0.6);
    mixInto(l, h, at, 0.15);
    mixInto(r, h, at, 0.25);
    const off = Math.round((t + ibi / 2) * sampleRate);
    mixInto(l, h, off, 0.08);
    mixInto(r, h, off, 0.12);
  }
  return { channels: [l, r], sampleRate, beats };
}

/** A steady sine (no onsets after the start). */
export function sineTrack(hz: number, seconds: number, sampleRate = 44100): SyntheticTrack {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return { channels: [out], sampleRate, beats: [] };
}

/**
 * An A-B-A-B song at `bpm` (4/4): A and B have different 8-bar chord progressions, bass lines and grooves;
 * each section is rendered once and copied, so the repeats are sample-identical.
 * Returns the first beat index of each section along with the audio.
 */
export function abab(bpm = 120, sampleRate = 44100, barsPerSection = 8): SyntheticTrack & { sectionStarts: number[]; beatsPerSection: number } {
  const ibi = 60 / bpm;
  const beatsPerSection = barsPerSection * 4;
  const secLen = Math.round(beatsPerSection * ibi * sampleRate);
  const render = (chords: number[][], groove: 'rock' | 'four'): Float32Array => {
    const out = new Float32Array(secLen + Math.round(sampleRate * 0.5));
    const k = kick(sampleRate);
    const s = snare(sampleRate, 3);
    const h = hat(sampleRate, 5);
    for (let bar = 0; bar < barsPerSection; bar++) {
      const ch = chords[bar % chords.length];
      const barAt = Math.round(bar * 4 * ibi * sampleRate);
      for (const m of ch) mixInto(out, tone(sampleRate, midiHz(m), 4 * ibi, [1, 0.5, 0.3, 0.15], 1.5), barAt, 0.08);
      for (let b = 0; b < 4; b++) {
        const at = Math.round((bar * 4 + b) * ibi * sampleRate);
        mixInto(out, tone(sampleRate, midiHz(ch[0] - 24 + (b === 3 ? 7 : 0)), ibi * 0.9, [1, 0.6, 0.3], 4), at, 0.25);
        if (groove === 'rock') mixInto(out, b % 2 === 0 ? k : s, at, 0.5);
        else mixInto(out, k, at, 0.5);
        mixInto(out, h, at + Math.round((ibi / 2) * sampleRate), groove === 'four' ? 0.3 : 0.12);
      }
    }
    return out;
  };
  const A = render([[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62], [57, 60, 64], [50, 53, 57], [52, 56, 59], [57, 60, 64]], 'rock');
  const B = render([[53, 57, 60], [55, 59, 62], [52, 55, 59], [57, 60, 64], [50, 53, 57], [55, 59, 62], [48, 52, 55], [52, 56, 59]], 'four');
  const offset = 0.5;
  const offN = Math.round(offset * sampleRate);
  const n = offN + 4 * secLen + sampleRate;
  const out = new Float32Array(n);
  [A, B, A, B].forEach((sec, i) => mixInto(out, sec, offN + i * secLen));
  const beats: number[] = [];
  for (let b = 0; b < 4 * beatsPerSection; b++) beats.push(offset + b * ibi);
  return { channels: [out], sampleRate, beats, sectionStarts: [0, 1, 2, 3].map((i) => i * beatsPerSection), beatsPerSection };
}
