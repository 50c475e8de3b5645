import { errors } from '../shared/errors.js';
import { mulberry32 } from '../shared/prng.js';
import { hat, kick, midiHz, mixInto, snare, tone } from './synth.js';

/**
 * The generated demo track: deterministic stereo PCM at a fixed tempo in 4/4, form A B A' B C B (+ a short
 * ending). A and A' share chords, bass and groove (A' adds a snare fill at its end), so jumps between them
 * should sound seamless; C reuses A's chords over a different, half-time groove, so A <-> C jumps match in
 * harmony but not in rhythm (the kind of jump the model should learn to avoid).
 */

export const DEMO_SAMPLE_RATE = 44100;

export interface DemoSection {
  readonly label: string;
  /** First beat (inclusive). */
  readonly startBeat: number;
  /** Last beat + 1 (exclusive). */
  readonly endBeat: number;
}

export interface DemoTrack {
  readonly channels: [Float32Array, Float32Array];
  readonly sampleRate: typeof DEMO_SAMPLE_RATE;
  /** Beats per minute. */
  readonly tempo: number;
  readonly meter: 4;
  /** Seconds from the start of the audio to beat 0. */
  readonly firstBeatS: number;
  readonly sections: DemoSection[];
}

export interface DemoOptions {
  /** PRNG seed (integer, default 1): changes the small velocity variations only. */
  seed?: number;
  /** Beats per minute, 60 .. 200 (default 120). */
  tempo?: number;
  /** Minimum length in seconds, 10 .. 1200 (default: one pass of the form, about 2.5 min at 120 BPM); sections keep cycling through the form until it is reached. */
  durationS?: number;
}

type Groove = 'rock' | 'disco' | 'half';
interface SectionSpec {
  label: string;
  bars: number;
  chords: readonly (readonly number[])[];
  groove: Groove;
  fill: boolean;
}

// Chords as MIDI notes (root first). One chord per bar, cycling.
const AM = [57, 60, 64];
const F = [53, 57, 60];
const C = [48, 52, 55];
const G = [55, 59, 62];
const DM = [50, 53, 57];
const EM = [52, 55, 59];
const VERSE = [AM, F, C, G];
const CHORUS = [F, G, EM, AM, DM, G, C, C];

const FORM: readonly SectionSpec[] = [
  { label: 'A', bars: 16, chords: VERSE, groove: 'rock', fill: false },
  { label: 'B', bars: 8, chords: CHORUS, groove: 'disco', fill: false },
  { label: "A'", bars: 16, chords: VERSE, groove: 'rock', fill: true },
  { label: 'B', bars: 8, chords: CHORUS, groove: 'disco', fill: false },
  { label: 'C', bars: 16, chords: VERSE, groove: 'half', fill: false },
  { label: 'B', bars: 8, chords: CHORUS, groove: 'disco', fill: false },
];
const ENDING_BARS = 2;
const LEAD_IN_S = 0.25;

function checkOpt(v: unknown, name: string, min: number, max: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw errors.invalidArgument(`option ${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${String(v)})`);
  }
  return v;
}

/** Generates the demo track. Deterministic for given options; about 0.3 s for the default 2.5 minutes. */
export function generateDemoTrack(opts: DemoOptions = {}): DemoTrack {
  const seed = checkOpt(opts.seed, 'seed', 0, 2 ** 32 - 1, true) ?? 1;
  const bpm = checkOpt(opts.tempo, 'tempo', 60, 200) ?? 120;
  const minS = checkOpt(opts.durationS, 'durationS', 10, 1200);
  const sr = DEMO_SAMPLE_RATE;
  const ibi = 60 / bpm;
  const rnd = mulberry32(seed);

  // The form, repeated until the requested length is reached.
  // One pass of the form; with durationS, sections keep cycling until the length is reached.
  const specs: SectionSpec[] = [];
  let bars = 0;
  for (let k = 0; k < FORM.length || (minS !== undefined && (bars + ENDING_BARS) * 4 * ibi + LEAD_IN_S < minS); k++) {
    const s = FORM[k % FORM.length];
    specs.push(s);
    bars += s.bars;
  }

  const totalBeats = (bars + ENDING_BARS) * 4;
  const n = Math.ceil((LEAD_IN_S + totalBeats * ibi + 2) * sr);
  const L = new Float32Array(n);
  const R = new Float32Array(n);
  const at = (beat: number): number => Math.round((LEAD_IN_S + beat * ibi) * sr);

  // One-shot voices, rendered once each.
  const K = kick(sr);
  const S = snare(sr, 101);
  const H = hat(sr, 202);
  const OH = hat(sr, 303, 0.18);
  const cache = new Map<string, Float32Array>();
  const cached = (key: string, make: () => Float32Array): Float32Array => {
    let v = cache.get(key);
    if (!v) cache.set(key, (v = make()));
    return v;
  };
  const pad = (midi: number, beats: number) => cached(`pad${midi}:${beats}`, () => tone(sr, midiHz(midi), beats * ibi, [1, 0.45, 0.25, 0.12, 0.06], 0.6));
  const stab = (midi: number) => cached(`stab${midi}`, () => tone(sr, midiHz(midi), 0.4 * ibi, [1, 0.6, 0.4, 0.2], 6));
  const bass = (midi: number, beats: number) => cached(`bass${midi}:${beats}`, () => tone(sr, midiHz(midi), beats * ibi * 0.95, [1, 0.7, 0.35, 0.2], 2));
  const vel = (): number => 0.95 + 0.1 * rnd(); // small humanization, seeded
  const both = (buf: Float32Array, pos: number, g: number, pan = 0): void => {
    mixInto(L, buf, pos, g * (1 - pan));
    mixInto(R, buf, pos, g * (1 + pan));
  };

  const sections: DemoSection[] = [];
  let beat = 0;
  for (const spec of specs) {
    sections.push({ label: spec.label, startBeat: beat, endBeat: beat + spec.bars * 4 });
    for (let bar = 0; bar < spec.bars; bar++) {
      const chord = spec.chords[bar % spec.chords.length];
      const b0 = beat + bar * 4;
      const root = chord[0] - 24;
      const fillBar = spec.fill && bar === spec.bars - 1;
      // Harmony: sustained pads (A, C) or off-beat stabs (B).
      if (spec.groove === 'disco') {
        for (let k = 0; k < 4; k++) for (const m of chord) both(stab(m + 12), at(b0 + k + 0.5), 0.06, m % 2 ? -0.4 : 0.4);
      } else {
        for (const m of chord) both(pad(m, 4), at(b0), 0.07, m % 2 ? -0.3 : 0.3);
      }
      // Bass.
      if (spec.groove === 'rock') for (let k = 0; k < 8; k++) both(bass(root, 0.5), at(b0 + k / 2), 0.22);
      else if (spec.groove === 'disco') for (let k = 0; k < 4; k++) both(bass(k % 2 ? root + 12 : root, 1), at(b0 + k), 0.22);
      else both(bass(root, 4), at(b0), 0.26);
      // Drums.
      for (let k = 0; k < 4; k++) {
        const p = at(b0 + k);
        if (spec.groove === 'rock') {
          if (k % 2 === 0) both(K, p, 0.55 * vel());
          else both(S, p, 0.4 * vel(), 0.1);
          both(H, p, 0.12 * vel(), 0.5);
          both(H, at(b0 + k + 0.5), 0.08 * vel(), 0.5);
          if (fillBar && k >= 2) for (const f of [0.25, 0.5, 0.75]) both(S, at(b0 + k + f), 0.25 * vel(), 0.1);
        } else if (spec.groove === 'disco') {
          both(K, p, 0.55 * vel());
          if (k % 2 === 1) both(S, p, 0.4 * vel(), 0.1);
          both(OH, at(b0 + k + 0.5), 0.1 * vel(), 0.5);
        } else {
          if (k === 0) both(K, p, 0.6 * vel());
          if (k === 2) both(S, p, 0.45 * vel(), 0.1);
          both(H, p, 0.06 * vel(), -0.5);
        }
      }
    }
    beat += spec.bars * 4;
  }
  // Ending: the tonic held for two bars over a last kick.
  for (const m of AM) both(pad(m, 8), at(beat), 0.07);
  both(bass(AM[0] - 24, 8), at(beat), 0.24);
  both(K, at(beat), 0.6);

  // Normalize the peak to -1 dBFS so the level is independent of the arrangement.
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(L[i]), Math.abs(R[i]));
  const g = peak > 0 ? 0.891 / peak : 1;
  for (let i = 0; i < n; i++) {
    L[i] *= g;
    R[i] *= g;
  }
  return { channels: [L, R], sampleRate: sr, tempo: bpm, meter: 4, firstBeatS: LEAD_IN_S, sections };
}
