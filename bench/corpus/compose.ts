/**
 * The ground-truth corpus composer: a song spec (genre, tempo map, arrangement, mastering) becomes note
 * events in beat units plus the exact beat and downbeat times. The truth comes from the same tempo map the
 * MIDI file carries (tempo is constant within each beat, so beat k lasts exactly 60 / bpm[k] s), so it is
 * exact up to the synthesizer's sample clock. Seeded: a spec always composes the same notes.
 */
import { mulberry32 } from '../../src/shared/prng.js';

/** Genres of the corpus; each has its own pattern, instruments, subdivision and meter. */
export const GENRES = [
  'four_on_floor',
  'rock',
  'funk',
  'shuffle',
  'waltz',
  'six_eight',
  'breakbeat',
  'ballad',
  'strings',
  'piano',
  'chiptune',
] as const;
export type Genre = (typeof GENRES)[number];

/** A stretch of the tempo map: `beats` beats from `bpm` to `toBpm` (linear per beat; constant when omitted). */
export interface TempoSegment {
  readonly beats: number;
  readonly bpm: number;
  readonly toBpm?: number;
}

export interface SongSpec {
  /** Unique, file-name safe. */
  readonly name: string;
  readonly genre: Genre;
  readonly tempo: readonly TempoSegment[];
  /** Random-walk tempo wobble per beat, as a fraction (0.01 = 1 % steps, mean-reverting): rubato / a human band. */
  readonly rubato?: number;
  /** Bars at the start without drums (the other parts play). */
  readonly drumlessIntroBars?: number;
  /** [firstBar, bars]: a pulse-free break (one held chord, no drums, no rhythm). */
  readonly breakBars?: readonly [number, number];
  /** Bars at the end with loud, off-grid crashes and tom fills on top of the groove. */
  readonly loudOutroBars?: number;
  /** Mastering applied to the rendered PCM. */
  readonly master?: 'normal' | 'phase_inverted' | 'quiet' | 'clipped';
  /** Timing jitter of each note, s (a human player); default 0.006. */
  readonly jitterS?: number;
}

export interface NoteEvent {
  /** Start in beats from the start of the song (fractional). */
  readonly beat: number;
  /** Length in beats. */
  readonly length: number;
  readonly channel: number;
  readonly note: number;
  readonly velocity: number;
}

export interface GenreStyle {
  /** Tactus beats per bar (the downbeat period). */
  readonly meter: number;
  /** Pattern steps per beat: 4 = binary sixteenths, 3 = ternary (swing, 6/8). */
  readonly steps: number;
  /** General MIDI programs of channels 0..3 (channel 9 is drums). */
  readonly programs: readonly number[];
}

export const STYLES: Readonly<Record<Genre, GenreStyle>> = Object.freeze({
  four_on_floor: { meter: 4, steps: 4, programs: [38, 89, 81, 0] },
  rock: { meter: 4, steps: 4, programs: [33, 30, 29, 0] },
  funk: { meter: 4, steps: 4, programs: [36, 7, 61, 0] },
  shuffle: { meter: 4, steps: 3, programs: [32, 0, 65, 0] },
  waltz: { meter: 3, steps: 4, programs: [32, 0, 73, 0] },
  six_eight: { meter: 2, steps: 3, programs: [32, 25, 71, 0] },
  breakbeat: { meter: 4, steps: 4, programs: [39, 89, 81, 0] },
  ballad: { meter: 4, steps: 4, programs: [0, 49, 0, 0] },
  strings: { meter: 4, steps: 4, programs: [45, 48, 40, 42] },
  piano: { meter: 4, steps: 4, programs: [0, 0, 0, 0] },
  chiptune: { meter: 4, steps: 4, programs: [80, 81, 38, 0] },
});

const KICK = 36;
const SNARE = 38;
const HAT = 42;
const OPEN_HAT = 46;
const RIDE = 51;
const CRASH = 49;
const CLAP = 39;
const TOM_HI = 50;
const TOM_LO = 45;
const DRUMS = 9;

export interface ComposedSong {
  readonly spec: SongSpec;
  readonly style: GenreStyle;
  readonly events: NoteEvent[];
  /** Tempo of each beat (BPM), including the lead-in beat 0. */
  readonly bpmPerBeat: Float64Array;
  /** Exact start time of every beat, s (index = beat number; beat 0 is a silent lead-in). */
  readonly beatTimes: Float64Array;
  /** Truth: the audible beats (beat 1 onwards), s. */
  readonly beats: number[];
  /** Truth: the bar starts, s. */
  readonly downbeats: number[];
  /** Seconds of audio to render (the last beat plus a release tail). */
  readonly durationS: number;
}

/** Deterministic 32-bit hash of a string (FNV-1a), the seed of a song. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Per-beat tempo: the segments, one silent lead-in beat first, then the seeded rubato walk (mean-reverting). */
function tempoMap(spec: SongSpec, rnd: () => number): Float64Array {
  const bpm: number[] = [spec.tempo[0].bpm];
  for (const s of spec.tempo) {
    const to = s.toBpm ?? s.bpm;
    for (let k = 0; k < s.beats; k++) bpm.push(s.bpm + ((to - s.bpm) * k) / Math.max(1, s.beats - 1));
  }
  const r = spec.rubato ?? 0;
  if (r > 0) {
    let w = 0;
    for (let k = 1; k < bpm.length; k++) {
      w = 0.85 * w + r * (2 * rnd() - 1);
      bpm[k] *= 1 + w;
    }
  }
  return Float64Array.from(bpm);
}

/** Chord roots of a 4-bar loop (I V vi IV), semitones above the key. */
const PROGRESSION = [0, 7, 9, 5];
const MAJOR = [0, 2, 4, 5, 7, 9, 11];

function triad(root: number, minor: boolean): number[] {
  return [root, root + (minor ? 3 : 4), root + 7];
}

/**
 * Composes a spec: the genre's groove bar by bar, with the arrangement changes (drumless intro, break, loud
 * outro). Cost O(beats * steps).
 */
export function compose(spec: SongSpec): ComposedSong {
  const style = STYLES[spec.genre];
  const rnd = mulberry32(seedOf(spec.name));
  const bpm = tempoMap(spec, rnd);
  const nBeats = bpm.length; // beat 0 = lead-in
  const beatTimes = new Float64Array(nBeats + 1);
  for (let k = 0; k < nBeats; k++) beatTimes[k + 1] = beatTimes[k] + 60 / bpm[k];
  const { meter, steps } = style;
  const nBars = Math.floor((nBeats - 1) / meter);
  const key = 48 + Math.floor(rnd() * 7);
  const jitter = spec.jitterS ?? 0.006;
  const ev: NoteEvent[] = [];
  const add = (bar: number, step: number, length: number, channel: number, note: number, velocity: number): void => {
    const b = 1 + bar * meter + step / steps;
    const k = Math.min(nBeats - 1, Math.floor(b));
    const j = jitter > 0 ? ((2 * rnd() - 1) * jitter * bpm[k]) / 60 : 0;
    ev.push({ beat: Math.max(1, b + (step === 0 && bar === 0 ? 0 : j)), length, channel, note, velocity: Math.max(1, Math.min(127, Math.round(velocity))) });
  };
  const [brk0, brkN] = spec.breakBars ?? [-1, 0];
  const outro0 = nBars - (spec.loudOutroBars ?? 0);
  const perBar = meter * steps;
  for (let bar = 0; bar < nBars; bar++) {
    const root = key + PROGRESSION[bar % 4];
    const chord = triad(root, PROGRESSION[bar % 4] === 9);
    const inBreak = bar >= brk0 && bar < brk0 + brkN;
    if (inBreak) {
      // Pulse-free: one long held chord at the start of the break, nothing else.
      if (bar === brk0) for (const n of chord) add(bar, 0, brkN * meter, 1, n + 12, 70);
      continue;
    }
    const drums = bar >= (spec.drumlessIntroBars ?? 0);
    const v = (base: number): number => base * (0.9 + 0.2 * rnd());
    const hit = (step: number, note: number, vel: number, len = 0.25): void => {
      if (drums) add(bar, step, len, DRUMS, note, v(vel));
    };
    const melody = (step: number, len: number, ch: number, vel: number, octave = 12): void => {
      const deg = MAJOR[Math.floor(rnd() * 7)];
      add(bar, step, len, ch, key + 12 + octave + deg, v(vel));
    };
    switch (spec.genre) {
      case 'four_on_floor':
        for (let b = 0; b < 4; b++) {
          hit(b * 4, KICK, 115);
          hit(b * 4 + 2, OPEN_HAT, 70);
          if (b % 2 === 1) hit(b * 4, CLAP, 95);
          add(bar, b * 4 + 2, 0.4, 0, root - 12, v(95));
        }
        for (const n of chord) add(bar, 0, 4, 1, n + 12, 55);
        for (let s = 0; s < perBar; s += 2) if (rnd() < 0.35) melody(s, 0.45, 2, 70);
        break;
      case 'rock':
        hit(0, KICK, 115);
        hit(8, KICK, 110);
        hit(10, KICK, 95);
        hit(4, SNARE, 110);
        hit(12, SNARE, 110);
        for (let s = 0; s < perBar; s += 2) hit(s, HAT, 70);
        if (bar % 4 === 0) hit(0, CRASH, 95, 1);
        for (let s = 0; s < perBar; s += 2) {
          add(bar, s, 0.45, 0, root - 12, v(95));
          for (const n of [root, root + 7]) add(bar, s, 0.45, 1, n, v(80));
        }
        break;
      case 'funk':
        for (const s of [0, 3, 6, 10]) hit(s, KICK, 110);
        hit(4, SNARE, 110);
        hit(12, SNARE, 110);
        for (const s of [7, 9, 15]) hit(s, SNARE, 40);
        for (let s = 0; s < perBar; s++) hit(s, HAT, s % 2 ? 45 : 70);
        for (const s of [0, 3, 6, 7, 10, 14]) add(bar, s, 0.2, 0, root - 12 + (s === 7 ? 12 : 0), v(100));
        for (const s of [2, 6, 10, 14]) for (const n of chord) add(bar, s, 0.15, 1, n + 12, v(75));
        if (bar % 2 === 1) for (const s of [8, 11]) for (const n of [root + 12, root + 16]) add(bar, s, 0.2, 2, n, v(85));
        break;
      case 'shuffle':
        for (let b = 0; b < 4; b++) {
          hit(b * 3, RIDE, 80);
          hit(b * 3 + 2, RIDE, 60);
          hit(b * 3, b % 2 ? SNARE : KICK, b % 2 ? 85 : 95);
          add(bar, b * 3, 0.9, 0, root - 12 + [0, 4, 7, 9][b], v(95));
          for (const n of chord) add(bar, b * 3 + 2, 0.3, 1, n + 12, v(60));
        }
        for (let s = 0; s < perBar; s++) if (s % 3 !== 1 && rnd() < 0.3) melody(s, 0.6, 2, 75, 0);
        break;
      case 'waltz':
        add(bar, 0, 1, 0, root - 12, v(100));
        hit(0, KICK, 80);
        for (const b of [1, 2]) for (const n of chord) add(bar, b * 4, 0.8, 1, n + 12, v(70));
        for (let s = 0; s < perBar; s += 2) if (rnd() < 0.45) melody(s, 0.5, 2, 75);
        break;
      case 'six_eight':
        hit(0, KICK, 100);
        hit(3, SNARE, 85);
        for (let s = 0; s < perBar; s++) hit(s, HAT, s % 3 === 0 ? 70 : 45);
        add(bar, 0, 1.9, 0, root - 12, v(95));
        for (let s = 0; s < perBar; s++) add(bar, s, 0.33, 1, chord[[0, 1, 2, 1, 2, 1][s]] + 12, v(s % 3 === 0 ? 80 : 60));
        if (rnd() < 0.6) melody(0, 1, 2, 70);
        break;
      case 'breakbeat':
        for (const s of [0, 10]) hit(s, KICK, 115);
        hit(4, SNARE, 115);
        hit(12, SNARE, 115);
        for (const s of [7, 9, 14]) hit(s, SNARE, 45);
        for (let s = 0; s < perBar; s += 2) hit(s, HAT, 60);
        add(bar, 0, 4, 0, root - 12, 100);
        if (bar % 2 === 0) for (const n of chord) add(bar, 0, 8, 1, n + 12, 50);
        for (let s = 0; s < perBar; s += 4) if (rnd() < 0.3) melody(s, 1, 2, 65);
        break;
      case 'ballad':
        hit(0, KICK, 80);
        hit(8, SNARE, 75);
        for (let s = 0; s < perBar; s += 2) add(bar, s, 0.5, 0, chord[(s / 2) % 3] + (s % 4 === 0 ? 0 : 12), v(s % 4 === 0 ? 75 : 55));
        add(bar, 0, 4, 0, root - 12, v(80));
        for (const n of chord) add(bar, 0, 4, 1, n + 12, 45);
        for (let s = 0; s < perBar; s += 4) if (rnd() < 0.5) melody(s, 1.5, 2, 70);
        break;
      case 'strings':
        for (let b = 0; b < 4; b++) {
          add(bar, b * 4, 0.4, 0, root - 12 + (b % 2 ? 7 : 0), v(b === 0 ? 105 : 85));
          for (const n of chord) add(bar, b * 4, 0.9, 1, n + 12, v(b === 0 ? 80 : 60));
        }
        for (let s = 0; s < perBar; s += 2) if (rnd() < 0.5) melody(s, 0.5, 2, 80);
        add(bar, 0, 4, 3, root - 24, 60);
        break;
      case 'piano':
        for (let b = 0; b < 4; b++) {
          if (b % 2 === 0) add(bar, b * 4, 0.9, 0, root - 12, v(95));
          else for (const n of chord) add(bar, b * 4, 0.7, 0, n, v(70));
        }
        for (let s = 0; s < perBar; s += 2) if (rnd() < 0.6) melody(s, 0.5, 1, 72);
        break;
      case 'chiptune':
        hit(0, KICK, 110);
        hit(8, KICK, 110);
        hit(4, SNARE, 100);
        hit(12, SNARE, 100);
        for (let s = 0; s < perBar; s++) add(bar, s, 0.22, 1, chord[s % 3] + 24, v(s % 4 === 0 ? 70 : 50));
        for (let s = 0; s < perBar; s += 2) add(bar, s, 0.4, 2, root - 12 + (s % 4 ? 12 : 0), v(85));
        for (let s = 0; s < perBar; s += 2) if (rnd() < 0.4) melody(s + 1, 0.45, 0, 80);
        break;
    }
    if (bar >= outro0 && drums) {
      // Loud and less periodic: crashes, toms and stabs at random off-grid times on top of the groove.
      const n = 3 + Math.floor(rnd() * 3);
      for (let q = 0; q < n; q++) {
        const s = rnd() * perBar;
        add(bar, s, 1, DRUMS, [CRASH, TOM_HI, TOM_LO][Math.floor(rnd() * 3)], 127);
        if (rnd() < 0.5) for (const nn of chord) add(bar, s, 0.3, 3, nn + 12, 120);
      }
    }
  }
  const beats: number[] = [];
  const downbeats: number[] = [];
  for (let k = 1; k <= nBars * meter; k++) {
    beats.push(beatTimes[k]);
    if ((k - 1) % meter === 0) downbeats.push(beatTimes[k]);
  }
  const last = 1 + nBars * meter;
  return { spec, style, events: ev, bpmPerBeat: bpm, beatTimes, beats, downbeats, durationS: beatTimes[Math.min(last, nBeats)] + 1.5 };
}
