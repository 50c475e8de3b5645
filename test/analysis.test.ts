import { describe, expect, it } from 'vitest';
import { featureVector, FEATURE_NAMES, BASE_FEATURE_NAMES } from '../src/policy/features.js';
import { analyzePcm, ANALYSIS_VERSION, STAGES, beatFMeasure, type AnalysisResult } from '../src/analysis/index.js';
import { TAIL_BEATS } from '../src/analysis/candidates.js';
import { abab, clickTrack, drumTrack, sineTrack } from '../src/demo/fixtures.js';
import { HarmonizerError } from '../src/shared/errors.js';

const TEMPI = [70, 90, 120, 150, 180];

/** Everything but the stage timings, which are the only run-dependent field. */
function stable(r: AnalysisResult): string {
  const { timings_ms: _t, ...rest } = r;
  return JSON.stringify(rest);
}

function allFinite(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFinite);
  if (v && typeof v === 'object') return Object.values(v).every(allFinite);
  return true;
}

describe('tempo and beats on synthesized tracks', () => {
  for (const bpm of TEMPI) {
    for (const [kind, make] of [
      ['click', clickTrack],
      ['drum', drumTrack],
    ] as const) {
      it(`${kind} track at ${bpm} BPM: tempo within 2 %, beat F-measure >= 0.9`, () => {
        const t = make(bpm, 30);
        const r = analyzePcm(t);
        expect(r.status).toBe('ok');
        expect(Math.abs(r.track.tempo - bpm) / bpm).toBeLessThan(0.02);
        const f = beatFMeasure(
          t.beats,
          r.beats.map((b) => b.start),
        );
        expect(f.f).toBeGreaterThanOrEqual(0.9);
        expect(r.track.meter).toBe(4);
      });
    }
  }
});

describe('A-B-A-B structure', () => {
  const a = abab(120);
  const r = analyzePcm(a);
  const L = a.beatsPerSection;
  const idx = (t: number) => r.beats.findIndex((b) => Math.abs(b.start - t) <= 0.07);

  it('tracks the beats', () => {
    expect(Math.abs(r.track.tempo - 120)).toBeLessThan(2.4);
    expect(beatFMeasure(a.beats, r.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
  });

  it('>= 80 % of the first A beats get a candidate at the same position in the second A', () => {
    let hits = 0;
    for (let k = 0; k < L; k++) {
      const i = idx(a.beats[k]);
      const j = idx(a.beats[k + 2 * L]);
      if (i >= 0 && j >= 0 && r.candidates[i].some((c) => c.target === j)) hits++;
    }
    expect(hits / L).toBeGreaterThanOrEqual(0.8);
  });

  it('candidates respect the graph rules and carry the shared feature input', () => {
    const n = r.beats.length;
    let count = 0;
    r.candidates.forEach((list, i) => {
      expect(list.filter((c) => !c.forced).length).toBeLessThanOrEqual(4);
      for (const c of list) {
        count++;
        expect(Math.abs(c.target - i)).toBeGreaterThanOrEqual(4);
        expect(r.beats[c.target].bar_position).toBe(r.beats[i].bar_position);
        if (!c.forced) expect(c.distance).toBeLessThanOrEqual(r.track.threshold);
        expect(c.target).toBeLessThanOrEqual(r.track.last_branch_beat);
        expect(c.features.span).toBe(c.target - i);
        expect(c.features.n_beats).toBe(n);
        expect(c.features.similarity).toBeGreaterThan(0);
        expect(c.features.similarity).toBeLessThanOrEqual(1);
        expect(c.features.chroma_distance).toBeGreaterThanOrEqual(0);
        expect(c.features.chroma_distance).toBeLessThanOrEqual(1);
        expect(c.features.beat_duration_ratio).toBeGreaterThanOrEqual(1);
        expect(c.features.bar_position_match).toBe(true);
        // Every base feature present: no `_missing` column is set.
        const v = featureVector(c.features);
        const k = BASE_FEATURE_NAMES.length;
        for (let m = 0; m < k; m++) expect(v[k + m], FEATURE_NAMES[k + m]).toBe(0);
      }
    });
    expect(count).toBeGreaterThan(0);
    // The last branch point: near the end, and it has a backward jump.
    const lb = r.track.last_branch_beat;
    expect(lb).toBeGreaterThanOrEqual(n - TAIL_BEATS);
    expect(r.candidates[lb].some((c) => c.target < lb)).toBe(true);
    // The per-beat candidate lists are sorted nearest first (the forced one comes last).
    for (const list of r.candidates) {
      const d = list.filter((c) => !c.forced).map((c) => c.distance);
      expect([...d].sort((x, y) => x - y)).toEqual(d);
    }
  });

  it('schema: version, meta, sections covering all beats, timings for every stage, no NaN', () => {
    expect(r.version).toBe(ANALYSIS_VERSION);
    expect(r.warning).toBeNull();
    expect(r.track.n_beats).toBe(r.beats.length);
    expect(r.candidates.length).toBe(r.beats.length);
    expect(r.sections[0].start_beat).toBe(0);
    expect(r.sections[r.sections.length - 1].end_beat).toBe(r.beats.length);
    for (let s = 1; s < r.sections.length; s++) expect(r.sections[s].start_beat).toBe(r.sections[s - 1].end_beat);
    r.beats.forEach((b) => {
      expect(r.sections[b.section].start_beat).toBeLessThanOrEqual(r.beats.indexOf(b));
      expect(b.chroma).toHaveLength(12);
      expect(b.timbre).toHaveLength(13);
      expect(b.confidence).toBeGreaterThanOrEqual(0);
      expect(b.confidence).toBeLessThanOrEqual(1);
    });
    expect(Object.keys(r.timings_ms).sort()).toEqual([...STAGES].sort());
    expect(allFinite(r)).toBe(true);
  });

  it('a fixed threshold option overrides the auto-tuned one', () => {
    const tight = analyzePcm(a, { threshold: 0.001, maxCandidates: 2 });
    expect(tight.track.threshold).toBe(0.001);
    expect(tight.candidates.every((l) => l.filter((c) => !c.forced).length <= 2)).toBe(true);
    const unforced = tight.candidates.flat().filter((c) => !c.forced).length;
    const normal = r.candidates.flat().filter((c) => !c.forced).length;
    expect(unforced).toBeLessThan(normal);
    // Nothing is under so tight a threshold near the end: the last-branch pass adds a forced backward jump there.
    const lb = tight.track.last_branch_beat;
    expect(lb).toBeGreaterThanOrEqual(tight.beats.length - TAIL_BEATS);
    const back = tight.candidates[lb].filter((c) => c.target < lb);
    expect(back.length).toBeGreaterThan(0);
    expect(tight.candidates.flat().every((c) => c.target <= lb)).toBe(true);
  });
});

describe('no-beats inputs give a clear result, never a crash or NaN', () => {
  const cases: [string, { channels: Float32Array[]; sampleRate: number }][] = [
    ['silence', { channels: [new Float32Array(44100 * 10), new Float32Array(44100 * 10)], sampleRate: 44100 }],
    ['a 2-second drum file', drumTrack(120, 2)],
    ['a steady sine', sineTrack(440, 20)],
    ['an empty file', { channels: [new Float32Array(0)], sampleRate: 44100 }],
  ];
  for (const [name, input] of cases) {
    it(name, () => {
      const r = analyzePcm(input);
      expect(r.status).toBe('no_beats');
      expect(typeof r.warning).toBe('string');
      expect(r.beats).toEqual([]);
      expect(r.candidates).toEqual([]);
      expect(r.sections).toEqual([]);
      expect(r.track.tempo).toBe(0);
      expect(r.track.last_branch_beat).toBe(-1);
      expect(allFinite(r)).toBe(true);
    });
  }
});

describe('determinism and input validation', () => {
  it('two runs give identical JSON (apart from stage timings)', () => {
    const t = drumTrack(133, 25);
    expect(stable(analyzePcm(t))).toBe(stable(analyzePcm(t)));
  });

  it('rejects bad options and input with INVALID_ARGUMENT naming the field', () => {
    const t = clickTrack(120, 6);
    const bad: [unknown, RegExp][] = [
      [{ maxCandidates: -1 }, /maxCandidates/],
      [{ maxCandidates: 1.5 }, /maxCandidates/],
      [{ threshold: 0 }, /threshold/],
      [{ threshold: Number.NaN }, /threshold/],
      [{ minSpan: 0 }, /minSpan/],
      [{ tightness: -3 }, /tightness/],
      [{ meter: 5 }, /meter/],
      [{ bogus: 1 }, /bogus/],
    ];
    for (const [opts, re] of bad) {
      let err: unknown;
      try {
        analyzePcm(t, opts as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HarmonizerError);
      expect((err as HarmonizerError).code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(re);
    }
    expect(() => analyzePcm(t, 5 as never)).toThrow(/options must be an object/);
    expect(() => analyzePcm({ channels: [], sampleRate: 44100 })).toThrow(/channels/);
    expect(() => analyzePcm({ channels: [new Float32Array(10), new Float32Array(11)], sampleRate: 44100 })).toThrow(/channels\[1\]/);
    expect(() => analyzePcm({ channels: [new Float32Array(10)], sampleRate: 0 })).toThrow(/sampleRate/);
  });

  it('accepts other input rates (48 kHz, 16 kHz) with the same tempo', () => {
    for (const sr of [48000, 16000]) {
      const t = clickTrack(100, 20, sr);
      const r = analyzePcm(t);
      expect(r.track.sample_rate).toBe(sr);
      expect(Math.abs(r.track.tempo - 100)).toBeLessThan(2);
      expect(beatFMeasure(t.beats, r.beats.map((b) => b.start)).f).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('NaN / Infinity samples (a corrupt decode) are treated as silence: still beats, never NaN', () => {
    const t = drumTrack(110, 20);
    for (let i = 0; i < t.channels[0].length; i += 5000) t.channels[0][i] = i % 2 ? Number.NaN : Number.POSITIVE_INFINITY;
    const r = analyzePcm(t);
    expect(r.status).toBe('ok');
    expect(Math.abs(r.track.tempo - 110)).toBeLessThan(2.2);
    expect(allFinite(r)).toBe(true);
  });

  it('meter option forces the bar length', () => {
    const r = analyzePcm(clickTrack(120, 20), { meter: 3 });
    expect(r.track.meter).toBe(3);
    expect(new Set(r.beats.map((b) => b.bar_position))).toEqual(new Set([0, 1, 2]));
  });
});

describe('meter', () => {
  it('a waltz click track (accent every 3 beats) is in 3, a 4/4 one in 4', () => {
    const waltz = analyzePcm(clickTrack(150, 30, 44100, 3));
    expect(waltz.track.meter).toBe(3);
    // Accented beats (every third from t = 0.25 s) are the downbeats.
    const first = waltz.beats.findIndex((b) => Math.abs(b.start - 0.25) < 0.07);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(waltz.beats[first].bar_position).toBe(0);
    expect(waltz.beats[first + 3].bar_position).toBe(0);
    const four = analyzePcm(clickTrack(150, 30, 44100, 4));
    expect(four.track.meter).toBe(4);
  });
});
