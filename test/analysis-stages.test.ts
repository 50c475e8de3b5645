/**
 * The stages added for issue 13, each on synthetic signals with a known answer: the non-cancelling downmix, the
 * tempogram, local tempo through a ramp / a sudden change / a pulse-free middle, the metrical level on swing
 * and on a fast backbeat, meter and downbeats, beat confidence and the jumps it forbids.
 */
import { describe, expect, it } from 'vitest';
import { analyzePcm, beatFMeasure } from '../src/analysis/index.js';
import { downmix, SIDE_SWITCH_RATIO } from '../src/analysis/downmix.js';
import { tempogram } from '../src/analysis/tempogram.js';
import { trackTempo, periodPerFrame } from '../src/analysis/tempo-track.js';
import { estimateMeterAndDownbeats, harmonicChange } from '../src/analysis/meter.js';
import { beatConfidence, MIN_JUMP_CONFIDENCE } from '../src/analysis/confidence.js';
import { buildCandidates } from '../src/analysis/candidates.js';
import { jumpableCandidates } from '../src/player/eligible.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { click, hat, kick, mixInto, snare, tone } from '../src/demo/synth.js';
import { mulberry32 } from '../src/shared/prng.js';

const SR = 22050;
const FPS = SR / 512;

/** Beat times of a tempo curve bpm(t), from t0 until `seconds`. */
function beatTimes(bpmAt: (t: number) => number, seconds: number, t0 = 0.3): number[] {
  const out: number[] = [];
  for (let t = t0; t < seconds - 0.1; t += 60 / bpmAt(t)) out.push(t);
  return out;
}

/** Kick on odd beats, snare on even ones, a hat on each beat: a drum loop on the given beat times. */
function drumsAt(beats: readonly number[], seconds: number, skip: (t: number) => boolean = () => false): Float32Array {
  const x = new Float32Array(Math.round(seconds * SR));
  const k = kick(SR);
  const s = snare(SR, 3);
  const h = hat(SR, 5);
  beats.forEach((t, i) => {
    if (skip(t)) return;
    const at = Math.round(t * SR);
    mixInto(x, i % 2 === 0 ? k : s, at, 0.6);
    mixInto(x, h, at, 0.15);
  });
  return x;
}

/** An impulse envelope (onset-envelope units) with impulses at the given frames. */
function impulses(n: number, frames: readonly number[]): Float32Array {
  const e = new Float32Array(n);
  for (const f of frames) if (f >= 0 && f < n) e[Math.round(f)] = 1;
  return e;
}

describe('downmix that cannot cancel', () => {
  it('phase-inverted stereo (right = -left) is analysed on the side and keeps its beat', () => {
    const t = drumTrack(120, 20, SR);
    const l = t.channels[0];
    const r = Float32Array.from(l, (v) => -v);
    const m = downmix([l, r]);
    expect(m.kind).toBe('side');
    expect(Array.from(m.samples.subarray(0, 1000))).toEqual(Array.from(l.subarray(0, 1000)));
    const res = analyzePcm({ channels: [l, r], sampleRate: SR });
    expect(res.status).toBe('ok');
    expect(res.track.downmix).toBe('side');
    expect(Math.abs(res.track.tempo - 120) / 120).toBeLessThan(0.02);
    expect(beatFMeasure(t.beats, res.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });

  it('ordinary stereo stays on the mid even when wide, decorrelated pads make the side louder than the mid', () => {
    const rnd = mulberry32(9);
    const n = SR * 2;
    const centre = new Float32Array(n);
    for (let i = 0; i < n; i += SR / 4) mixInto(centre, click(SR), i, 0.5);
    const l = new Float32Array(n);
    const r = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // A widened pad, partly out of phase between the channels (what stereo wideners and chorus do): the side gets
      // louder than the mid, while the beat sits only in the mid.
      const pad = 0.3 * (2 * rnd() - 1);
      l[i] = centre[i] + pad;
      r[i] = centre[i] - 0.6 * pad;
    }
    let em = 0;
    let es = 0;
    for (let i = 0; i < n; i++) {
      em += ((l[i] + r[i]) / 2) ** 2;
      es += ((l[i] - r[i]) / 2) ** 2;
    }
    expect(em).toBeLessThan(es); // the "louder of mid and side" rule would have dropped the centre
    expect(em).toBeGreaterThan(SIDE_SWITCH_RATIO * es);
    expect(downmix([l, r]).kind).toBe('mid');
  });

  it('mono input is passed through; non-finite samples become 0', () => {
    const x = Float32Array.from([0.5, Number.NaN, -0.25, Number.POSITIVE_INFINITY]);
    const m = downmix([x]);
    expect(m.kind).toBe('mono');
    expect(Array.from(m.samples)).toEqual([0.5, 0, -0.25, 0]);
    expect(x[1]).toBeNaN(); // the input is not modified
  });
});

describe('tempogram', () => {
  it('an impulse train of period 20 frames correlates 1 at lag 20 in every window, about -0.05 half-way', () => {
    const n = 2000;
    const env = impulses(n, Array.from({ length: 100 }, (_, k) => 20 * k));
    const tg = tempogram(env, FPS, 60);
    expect(tg.nWindows).toBeGreaterThan(5);
    for (let w = 0; w < tg.nWindows; w++) {
      const row = tg.acf.subarray(w * 61, (w + 1) * 61);
      expect(row[0]).toBeCloseTo(1, 9);
      expect(row[20]).toBeGreaterThan(0.95);
      expect(row[10]).toBeLessThan(0);
    }
  });

  it('a constant envelope gives all zeros; a quiet window next to a loud event stays within [-1, 1]', () => {
    const flat = tempogram(new Float32Array(1000).fill(0.3), FPS, 60);
    expect(flat.acf.every((v) => v === 0)).toBe(true);
    const env = new Float32Array(1000);
    for (let i = 0; i < 700; i++) env[i] = 1e-6 * Math.sin(i);
    env[720] = 10; // just past the first window, inside its lag range
    const tg = tempogram(env, FPS, 60, 400 / FPS, 100 / FPS);
    expect(tg.acf.every((v) => v >= -1 - 1e-9 && v <= 1 + 1e-9)).toBe(true);
  });
});

describe('local tempo', () => {
  const track = (beats: number[], seconds: number, skip?: (t: number) => boolean) => ({ channels: [drumsAt(beats, seconds, skip)], sampleRate: SR });

  it('follows a tempo ramp (100 -> 140 BPM over 60 s): beats F >= 0.9, local period within 4 %', () => {
    const bpmAt = (t: number) => 100 + (40 * t) / 60;
    const beats = beatTimes(bpmAt, 60);
    const r = analyzePcm(track(beats, 60));
    expect(r.status).toBe('ok');
    expect(beatFMeasure(beats, r.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
    // Inter-beat intervals of the tracked beats follow the ramp.
    for (let i = 8; i + 1 < r.beats.length - 8; i += 8) {
      const ibi = r.beats[i + 1].start - r.beats[i].start;
      expect(Math.abs(60 / ibi - bpmAt(r.beats[i].start)) / bpmAt(r.beats[i].start)).toBeLessThan(0.06);
    }
  });

  it('a sudden change (90 -> 135 BPM at 30 s) moves the period path within a few windows', () => {
    const bpmAt = (t: number) => (t < 30 ? 90 : 135);
    const beats = beatTimes(bpmAt, 60);
    const env = impulses(Math.round(60 * FPS), beats.map((t) => t * FPS));
    const tt = trackTempo(env, env, FPS);
    const per = periodPerFrame(tt, env.length);
    const bpm = (f: number) => (60 * FPS) / per[f];
    expect(Math.abs(bpm(Math.round(15 * FPS)) - 90) / 90).toBeLessThan(0.03);
    expect(Math.abs(bpm(Math.round(48 * FPS)) - 135) / 135).toBeLessThan(0.03);
    const r = analyzePcm(track(beats, 60));
    expect(beatFMeasure(beats, r.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });

  it('carries on through a pulse-free middle: beats there have low confidence and no jumps; the rest is trusted', () => {
    const beats = beatTimes(() => 120, 45);
    const quiet = (t: number) => t >= 15 && t < 27;
    const x = drumsAt(beats, 45, quiet);
    // A held chord through the gap: sound, but no pulse.
    const pad = tone(SR, 220, 12, [1, 0.5, 0.3], 0.02);
    mixInto(x, pad, Math.round(15 * SR), 0.2);
    const r = analyzePcm({ channels: [x], sampleRate: SR });
    expect(r.status).toBe('ok');
    const inGap = r.beats.filter((b) => b.start > 17 && b.start < 25);
    const outside = r.beats.filter((b) => b.start < 13 || b.start > 29);
    expect(inGap.length).toBeGreaterThan(10); // the grid is carried through, not dropped
    expect(inGap.every((b) => b.confidence < MIN_JUMP_CONFIDENCE)).toBe(true);
    expect(outside.filter((b) => b.confidence >= MIN_JUMP_CONFIDENCE).length / outside.length).toBeGreaterThan(0.9);
    const low = new Set(r.beats.flatMap((b, i) => (b.confidence < MIN_JUMP_CONFIDENCE ? [i] : [])));
    r.candidates.forEach((list, i) => {
      if (low.has(i)) expect(list).toEqual([]);
      for (const c of list) expect(low.has(c.target)).toBe(false);
    });
    expect(r.candidates.flat().length).toBeGreaterThan(0);
    expect(beatFMeasure(beats.filter((t) => !quiet(t)), outside.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });

  it('"no beats" only when no window pulses: a pulse in the first 12 s of 60 s of steady tone still gives beats', () => {
    const beats = beatTimes(() => 110, 12);
    const x = new Float32Array(60 * SR);
    x.set(drumsAt(beats, 12));
    mixInto(x, tone(SR, 330, 47, [1, 0.4], 0.001), 12.5 * SR, 0.5);
    const r = analyzePcm({ channels: [x], sampleRate: SR });
    expect(r.status).toBe('ok');
    expect(beatFMeasure(beats, r.beats.filter((b) => b.start < 12).map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });
});

describe('metrical level', () => {
  it('swing (ride on the first and third triplet of each beat) is tracked at the beat, not at 1.5x or 2x', () => {
    const bpm = 120;
    const beats = beatTimes(() => bpm, 40);
    const x = drumsAt(beats, 40);
    const ride = hat(SR, 8, 0.12);
    for (const t of beats) {
      mixInto(x, ride, Math.round(t * SR), 0.25);
      mixInto(x, ride, Math.round((t + (2 / 3) * (60 / bpm)) * SR), 0.18);
    }
    const r = analyzePcm({ channels: [x], sampleRate: SR });
    expect(Math.abs(r.track.tempo - bpm) / bpm).toBeLessThan(0.02);
    expect(beatFMeasure(beats, r.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });

  it('kick and snare alternating at 200 BPM with a hat on every beat are one pulse: read at 200, not 100', () => {
    const env = new Float32Array(Math.round(30 * FPS));
    const beats = beatTimes(() => 200, 30);
    // Equal events on every beat: the half-period autocorrelation equals the full one (even = 1).
    for (const t of beats) env[Math.round(t * FPS)] = 1;
    const tt = trackTempo(env, env, FPS);
    const med = Array.from(tt.periods).sort((a, b) => a - b)[tt.periods.length >> 1];
    expect(Math.abs((60 * FPS) / med - 200) / 200).toBeLessThan(0.03);
  });
});

describe('meter and downbeats', () => {
  /** Chroma rows: one pitch class per chord, the chord changing every `m` beats starting at beat `phase`. */
  function chords(rows: number, m: number, phase: number): Float32Array {
    const c = new Float32Array(rows * 12);
    for (let i = 0; i < rows; i++) {
      const bar = Math.floor((i - phase + m * 100) / m);
      c[i * 12 + ((bar * 7) % 12)] = 1;
      c[i * 12 + ((bar * 7 + 4) % 12)] = 0.6;
    }
    return c;
  }

  it('chords changing every 4 beats from beat 1: meter 4, phase 1; every 3 from beat 2: meter 3, phase 2', () => {
    const flat = new Float32Array(64);
    const four = estimateMeterAndDownbeats(chords(64, 4, 1), flat, 64);
    expect([four.meter, four.phase]).toEqual([4, 1]);
    expect(four.positions[1]).toBe(0);
    expect(four.positions[4]).toBe(3);
    const three = estimateMeterAndDownbeats(chords(63, 3, 2), new Float32Array(63), 63);
    expect([three.meter, three.phase]).toEqual([3, 2]);
  });

  it('chords changing every 2 beats (a march, 6/8 felt in two): meter 2; a kick on every other beat alone stays in 4', () => {
    const two = estimateMeterAndDownbeats(chords(64, 2, 1), new Float32Array(64), 64);
    expect([two.meter, two.phase]).toEqual([2, 1]);
    expect(two.positions[3]).toBe(0);
    // A 4/4 drum loop (kick on 1 and 3, no harmony) looks like bars of 2 in the low band: not enough for meter 2.
    const low = Float32Array.from({ length: 64 }, (_, i) => (i % 2 === 1 ? -10 : -40));
    expect(estimateMeterAndDownbeats(new Float32Array(64 * 12), low, 64).meter).toBe(4);
  });

  it('harmonic change is 0 on a constant chord and large at a change; the forced meter wins', () => {
    const same = chords(16, 1000, 0);
    expect(Array.from(harmonicChange(same, 16)).every((v) => v < 1e-9)).toBe(true);
    const ch = harmonicChange(chords(16, 4, 0), 16);
    expect(ch[4]).toBeGreaterThan(0.3);
    expect(estimateMeterAndDownbeats(chords(64, 4, 0), new Float32Array(64), 64, 3).meter).toBe(3);
  });
});

describe('beat confidence and the jumps it allows', () => {
  it('confidence = clarity factor x onset support of the neighbourhood (hand-computed)', () => {
    const local = Float64Array.from([0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 0]);
    const beats = Int32Array.from([1, 3, 5, 7, 9, 11]); // the last beat sits on nothing
    const conf = beatConfidence(local, beats, [0.5, 0.5, 0.5, 0.5, 0.125, 0.5]);
    // median local at beats = 2; beat 0: mean(2, 2, 2) / 2 = 1 -> clarity 0.5 >= 0.25 -> 1
    expect(conf[0]).toBeCloseTo(1, 6);
    // beat 4: support mean(2, 2, 2, 0) / 2 = 0.75, clarity 0.125 / 0.25 = 0.5 -> 0.375
    expect(conf[4]).toBeCloseTo(0.375, 6);
    // beat 5: support mean(2, 2, 0) / 2 = 2/3
    expect(conf[5]).toBeCloseTo(2 / 3, 6);
  });

  it('the graph never uses a low-confidence beat as source or target, even for the forced last branch', () => {
    const n = 48;
    const mfcc = new Float32Array(n * 13);
    const chroma = new Float32Array(n * 12);
    for (let i = 0; i < n; i++) chroma[i * 12 + (i % 4)] = 1; // every bar sounds alike
    const confidence = new Float32Array(n).fill(1);
    for (const i of [8, 12, 16, 20, 44]) confidence[i] = 0.1;
    const g = buildCandidates(
      {
        nBeats: n,
        mfcc,
        chroma,
        loudnessMax: new Float32Array(n),
        onset: new Float32Array(n).fill(1),
        duration: new Float32Array(n).fill(0.5),
        barPosition: Uint8Array.from({ length: n }, (_, i) => i % 4),
        sectionLabel: new Int32Array(n),
        confidence,
      },
      { maxCandidates: 4, minSpan: 4, threshold: undefined },
    );
    const low = new Set([8, 12, 16, 20, 44]);
    g.candidates.forEach((list, i) => {
      if (low.has(i)) expect(list).toEqual([]);
      for (const c of list) expect(low.has(c.target)).toBe(false);
    });
    expect(g.candidates[4].length).toBeGreaterThan(0); // beat 4 still jumps (to 24, 28, ...)
  });

  it('the player drops candidates whose source or target beat is low-confidence', () => {
    const cand = (target: number) => ({ target, distance: 0.1, forced: false, features: {} as never });
    const analysis = {
      candidates: [[cand(2), cand(3)], [], [cand(0)], [cand(0)]],
      beats: [{ confidence: 1 }, { confidence: 1 }, { confidence: 0.1 }, { confidence: 0.9 }],
    };
    expect(jumpableCandidates(analysis, 0).map((c) => c.target)).toEqual([3]);
    expect(jumpableCandidates(analysis, 2)).toEqual([]);
    expect(jumpableCandidates(analysis, 3).map((c) => c.target)).toEqual([0]);
    expect(jumpableCandidates({ candidates: analysis.candidates }, 0).length).toBe(2); // no beats given: unchanged
  });
});
