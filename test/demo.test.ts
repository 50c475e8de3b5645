import { describe, expect, it } from 'vitest';
import { analyzePcm } from '../src/analysis/index.js';
import { generateDemoTrack } from '../src/demo/track.js';
import { mulberry32 } from '../src/shared/prng.js';
import { HarmonizerError } from '../src/shared/errors.js';

describe('demo track', () => {
  const t0 = performance.now();
  const demo = generateDemoTrack();
  const genMs = performance.now() - t0;

  it('is ~2.5 minutes of stereo 44.1 kHz PCM, generated quickly, finite and within full scale', () => {
    expect(demo.sampleRate).toBe(44100);
    expect(demo.channels).toHaveLength(2);
    const seconds = demo.channels[0].length / demo.sampleRate;
    expect(seconds).toBeGreaterThan(140);
    expect(seconds).toBeLessThan(170);
    expect(genMs).toBeLessThan(2000);
    let peak = 0;
    let finite = true;
    for (const ch of demo.channels) {
      for (let i = 0; i < ch.length; i++) {
        if (!Number.isFinite(ch[i])) finite = false;
        else if (Math.abs(ch[i]) > peak) peak = Math.abs(ch[i]);
      }
    }
    expect(finite).toBe(true);
    expect(peak).toBeLessThanOrEqual(1);
    expect(peak).toBeGreaterThan(0.5);
  });

  it('has the form A B A\' B C B at 120 BPM in 4/4', () => {
    expect(demo.tempo).toBe(120);
    expect(demo.meter).toBe(4);
    expect(demo.sections.map((s) => s.label)).toEqual(['A', 'B', "A'", 'B', 'C', 'B']);
    for (let k = 1; k < demo.sections.length; k++) expect(demo.sections[k].startBeat).toBe(demo.sections[k - 1].endBeat);
  });

  it('is deterministic; the seed only changes small details', () => {
    const again = generateDemoTrack();
    expect(Buffer.from(again.channels[0].buffer).equals(Buffer.from(demo.channels[0].buffer))).toBe(true);
    expect(Buffer.from(again.channels[1].buffer).equals(Buffer.from(demo.channels[1].buffer))).toBe(true);
    const other = generateDemoTrack({ seed: 2 });
    expect(other.channels[0].length).toBe(demo.channels[0].length);
    expect(Buffer.from(other.channels[0].buffer).equals(Buffer.from(demo.channels[0].buffer))).toBe(false);
  });

  it('durationS extends the form; bad options throw INVALID_ARGUMENT naming the option', () => {
    const long = generateDemoTrack({ durationS: 200 });
    expect(long.channels[0].length / 44100).toBeGreaterThanOrEqual(200);
    for (const [o, re] of [
      [{ tempo: 10 }, /tempo/],
      [{ seed: -1 }, /seed/],
      [{ durationS: 5 }, /durationS/],
    ] as const) {
      expect(() => generateDemoTrack(o as never)).toThrow(re);
      try {
        generateDemoTrack(o as never);
      } catch (e) {
        expect((e as HarmonizerError).code).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('analysis finds its tempo, its beats and jumps between A and A\' (but none A <-> C at the top)', () => {
    const r = analyzePcm(demo);
    expect(r.status).toBe('ok');
    expect(Math.abs(r.track.tempo - demo.tempo) / demo.tempo).toBeLessThan(0.02);
    expect(r.track.meter).toBe(4);
    const ibi = 60 / demo.tempo;
    const beatOf = r.beats.map((b) => Math.round((b.start - demo.firstBeatS) / ibi));
    const label = (beat: number) => demo.sections.find((s) => beat >= s.startBeat && beat < s.endBeat)?.label;
    let aToA2 = 0;
    let bestAC = 0;
    r.candidates.forEach((list, i) => {
      for (const c of list) {
        const pair = [label(beatOf[i]), label(beatOf[c.target])].sort().join('-');
        if (pair === "A-A'") aToA2++;
      }
      const first = list[0];
      if (first && [label(beatOf[i]), label(beatOf[first.target])].sort().join('-') === 'A-C') bestAC++;
    });
    expect(aToA2).toBeGreaterThan(50);
    expect(bestAC).toBe(0);
  });

  for (const bpm of [80, 170]) {
    it(`at ${bpm} BPM the analysis finds ${bpm} (no octave error) and on-beat beats`, () => {
      const d = generateDemoTrack({ tempo: bpm });
      const r = analyzePcm(d);
      expect(Math.abs(r.track.tempo - bpm) / bpm).toBeLessThan(0.02);
      const ibi = 60 / bpm;
      const offBeat = r.beats.filter((b) => {
        const k = (b.start - d.firstBeatS) / ibi;
        return Math.abs(k - Math.round(k)) * ibi > 0.07;
      });
      expect(offBeat.length / r.beats.length).toBeLessThan(0.05);
    });
  }

  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 100; i++) {
      const v = a();
      expect(v).toBe(b());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});
