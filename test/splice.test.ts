import { describe, expect, it } from 'vitest';
import {
  equalPowerGain,
  equalPowerGains,
  fadeWindow,
  planReference,
  planSplice,
  renderSplice,
  SpliceRangeError,
  toSample,
  type SplicePlan,
} from '../src/render/splice.js';

const SR = 44100;
const DUR = 10; // seconds
const LEN = DUR * SR;
const HALF = LEN / 2;
const s440 = (i: number) => Math.sin((2 * Math.PI * 440 * i) / SR);
const s660 = (i: number) => Math.sin((2 * Math.PI * 660 * i) / SR);

/** Channel 0: 440 Hz in the first half of the track, 660 Hz in the second. Channel 1: DC 1 then DC 0. */
function track(): Float32Array[] {
  const tone = new Float32Array(LEN);
  const dc = new Float32Array(LEN);
  for (let i = 0; i < LEN; i++) {
    tone[i] = i < HALF ? s440(i) : s660(i);
    dc[i] = i < HALF ? 1 : 0;
  }
  return [tone, dc];
}

function render(chs: Float32Array[], plan: SplicePlan): Float32Array[] {
  const out = chs.map(() => new Float32Array(plan.totalSamples).fill(NaN)); // NaN: any gap would show
  renderSplice(chs, plan, out);
  return out;
}

/**
 * Blind splice detector for a hard cut: the first output index whose sample is explained by the 660 Hz
 * tone (continuing from the target) rather than the 440 Hz tone (continuing from the source), with the
 * residuals measured against each tone's phase as it would continue on either side.
 */
function detectCut(out: Float32Array, srcStart: number, tgtStartMinusSplice: number): number {
  for (let i = 0; i < out.length; i++) {
    const r440 = Math.abs(out[i] - s440(srcStart + i));
    const r660 = Math.abs(out[i] - s660(tgtStartMinusSplice + i));
    if (r660 < 1e-5 && r440 > 1e-3) return i;
  }
  return -1;
}

describe('equal-power gains', () => {
  it('cos/sin quarter wave: squares sum to 1, monotonic, mirror images', () => {
    expect(equalPowerGain(0)).toBe(0);
    expect(equalPowerGain(1)).toBe(1);
    expect(equalPowerGain(0.5)).toBeCloseTo(Math.SQRT1_2, 12);
    for (const t of [0, 0.1, 0.33, 0.5, 0.9, 1]) expect(equalPowerGain(t) ** 2 + equalPowerGain(1 - t) ** 2).toBeCloseTo(1, 12);
    const g = equalPowerGains(1323);
    for (let k = 0; k < g.length; k++) {
      expect(g[k] ** 2 + g[g.length - 1 - k] ** 2).toBeCloseTo(1, 6);
      if (k > 0) expect(g[k]).toBeGreaterThan(g[k - 1]);
    }
    expect(equalPowerGains(0).length).toBe(0);
  });
});

describe('planSplice / renderSplice on a 440 Hz → 660 Hz jump', () => {
  const chs = track();
  const base = { pre: 2, post: 3, sampleRate: SR, length: LEN };

  it('a hard cut lands exactly on the planned sample (blind detection)', () => {
    // Non-round times exercise the documented rounding rule (nearest sample).
    const sourceTime = 3.123456;
    const targetTime = 6.654321;
    const plan = planSplice({ ...base, sourceTime, targetTime, crossfadeMs: 0 });
    const S = Math.round(sourceTime * SR);
    const T = Math.round(targetTime * SR);
    expect(plan.spliceOffsetSamples).toBe(2 * SR);
    expect(plan.totalSamples).toBe(5 * SR);
    expect(plan.fadeSamples).toBe(0);
    const [tone] = render(chs, plan);
    const detected = detectCut(tone, S - 2 * SR, T - 2 * SR);
    expect(Math.abs(detected - plan.spliceOffsetSamples)).toBeLessThanOrEqual(1);
    expect(detected).toBe(plan.spliceOffsetSamples);
    // Every sample is the right one: source before, target after.
    for (let i = 0; i < tone.length; i += 97) {
      const want = i < detected ? s440(S - 2 * SR + i) : s660(T + i - detected);
      expect(tone[i]).toBeCloseTo(want, 5);
    }
  });

  it('the 30 ms crossfade is centred on the splice and follows the equal-power curve', () => {
    const sourceTime = 3;
    const targetTime = 7;
    const plan = planSplice({ ...base, sourceTime, targetTime, crossfadeMs: 30 });
    const F = Math.round(0.03 * SR); // 1323
    expect(plan.fadeSamples).toBe(F);
    expect(plan.fadeBefore).toBe(Math.floor(F / 2));
    expect(plan.fadeAfter).toBe(F - Math.floor(F / 2));
    expect(plan.totalSamples).toBe(5 * SR); // the fade does not change the length
    const [tone, dc] = render(chs, plan);
    const splice = plan.spliceOffsetSamples;
    const f0 = splice - plan.fadeBefore;
    // DC channel: source = 1, target = 0, so the output IS the fade-out gain cos(x·π/2).
    for (let k = 0; k < F; k++) {
      const x = (k + 0.5) / F;
      expect(dc[f0 + k]).toBeCloseTo(Math.cos((x * Math.PI) / 2), 6);
    }
    expect(dc[f0 - 1]).toBe(1);
    expect(dc[f0 + F]).toBe(0);
    // The two gains cross (−3 dB each) at the splice sample: the fade is centred on it.
    expect(dc[splice]).toBeCloseTo(Math.SQRT1_2, 6);
    // Tone channel: outgoing source continues past source_time, incoming target starts before target_time.
    const S = sourceTime * SR;
    const T = targetTime * SR;
    for (let k = 0; k < F; k++) {
      const i = f0 + k;
      const x = (k + 0.5) / F;
      const want = Math.cos((x * Math.PI) / 2) * s440(S - plan.fadeBefore + k) + Math.sin((x * Math.PI) / 2) * s660(T - plan.fadeBefore + k);
      expect(tone[i]).toBeCloseTo(want, 5);
    }
    expect(tone[0]).toBeCloseTo(s440(S - 2 * SR), 6);
    expect(tone[tone.length - 1]).toBeCloseTo(s660(T + 3 * SR - 1), 6);
    expect(plan.sourceRange).toEqual([S - 2 * SR, S + plan.fadeAfter]);
    expect(plan.targetRange).toEqual([T - plan.fadeBefore, T + 3 * SR]);
  });

  it('clamps at the start of the track', () => {
    const plan = planSplice({ ...base, sourceTime: 0.5, targetTime: 7, crossfadeMs: 30 });
    expect(plan.sourceRange[0]).toBe(0);
    expect(plan.spliceOffsetSamples).toBe(0.5 * SR);
    expect(plan.totalSamples).toBe(0.5 * SR + 3 * SR);
    const [tone] = render(chs, plan);
    expect(tone[0]).toBeCloseTo(s440(0), 6);
    expect(tone.every((v) => Number.isFinite(v))).toBe(true);

    // A jump from time 0 has nothing before it: no pre audio, and the fade cannot start early.
    const at0 = planSplice({ ...base, sourceTime: 0, targetTime: 7, crossfadeMs: 30 });
    expect(at0.spliceOffsetSamples).toBe(0);
    expect(at0.fadeBefore).toBe(0);
    expect(at0.totalSamples).toBe(3 * SR);
    // A jump TO time 0: the incoming audio cannot start before the track.
    const to0 = planSplice({ ...base, sourceTime: 3, targetTime: 0, crossfadeMs: 30 });
    expect(to0.fadeBefore).toBe(0);
    expect(to0.fadeAfter).toBe(662);
    expect(render(chs, to0)[0].every((v) => Number.isFinite(v))).toBe(true);
  });

  it('clamps at the end of the track', () => {
    const plan = planSplice({ ...base, sourceTime: 3, targetTime: DUR - 1, crossfadeMs: 30 });
    expect(plan.targetRange[1]).toBe(LEN);
    expect(plan.totalSamples).toBe(2 * SR + 1 * SR);
    const [tone] = render(chs, plan);
    expect(tone[tone.length - 1]).toBeCloseTo(s660(LEN - 1), 6);

    const toEnd = planSplice({ ...base, sourceTime: 3, targetTime: DUR, crossfadeMs: 30 });
    expect(toEnd.fadeAfter).toBe(0);
    expect(toEnd.totalSamples).toBe(2 * SR);
    const fromEnd = planSplice({ ...base, sourceTime: DUR, targetTime: 3, crossfadeMs: 30 });
    expect(fromEnd.fadeAfter).toBe(0); // the outgoing audio cannot continue past the end
    expect(fromEnd.fadeBefore).toBe(661);
    expect(fromEnd.totalSamples).toBe(5 * SR);
    expect(render(chs, fromEnd)[0].every((v) => Number.isFinite(v))).toBe(true);
  });

  it('a clip shorter than half the fade shortens the fade instead of reading outside the clip', () => {
    const plan = planSplice({ ...base, pre: 0.005, post: 0.002, sourceTime: 3, targetTime: 7, crossfadeMs: 30 });
    expect(plan.fadeBefore).toBe(toSample(0.005, SR));
    expect(plan.fadeAfter).toBe(toSample(0.002, SR));
    expect(plan.totalSamples).toBe(toSample(0.005, SR) + toSample(0.002, SR));
    expect(render(chs, plan)[0].every((v) => Number.isFinite(v))).toBe(true);
  });

  it('times outside the track fail with the field named', () => {
    const bad = (over: object) => () => planSplice({ ...base, sourceTime: 3, targetTime: 7, crossfadeMs: 30, ...over });
    expect(bad({ sourceTime: DUR + 0.1 })).toThrow(SpliceRangeError);
    expect(bad({ sourceTime: DUR + 0.1 })).toThrow(/sourceTime 10.1s lies outside the track \(0–10.000s\)/);
    expect(bad({ targetTime: -1 })).toThrow(/targetTime -1s lies outside the track/);
    expect(bad({ pre: -1 })).toThrow(/pre must be ≥ 0/);
    expect(bad({ crossfadeMs: NaN })).toThrow(/crossfadeMs must be a finite number/);
    try {
      bad({ targetTime: 99 })();
    } catch (e) {
      expect((e as SpliceRangeError).field).toBe('targetTime');
    }
  });
});

describe('fadeWindow', () => {
  it('gain-1 segments copied from the source plus the rendered fade window equal the full render', () => {
    const chs = track();
    const plan = planSplice({ sourceTime: 3.3, targetTime: 6.1, pre: 1, post: 1.5, crossfadeMs: 45, sampleRate: SR, length: LEN });
    const full = render(chs, plan);
    const fade = fadeWindow(plan);
    expect(fade.totalSamples).toBe(plan.fadeSamples);
    expect(fade.segments.map((s) => s.gain)).toEqual(['out', 'in']);
    expect(fade.segments.every((s) => s.outStart === 0)).toBe(true);
    const pieces = chs.map(() => new Float32Array(plan.totalSamples).fill(NaN));
    for (const s of plan.segments) {
      if (s.gain === 'none') for (let c = 0; c < chs.length; c++) pieces[c].set(chs[c].subarray(s.srcStart, s.srcStart + s.length), s.outStart);
    }
    const f = render(chs, fade);
    for (let c = 0; c < chs.length; c++) pieces[c].set(f[c], plan.spliceOffsetSamples - plan.fadeBefore);
    for (let c = 0; c < chs.length; c++) expect(Array.from(pieces[c])).toEqual(Array.from(full[c]));
  });
});

describe('planReference', () => {
  it('is source_time − pre … source_time + post with no fade, marker at the would-be splice', () => {
    const chs = track();
    const plan = planReference({ sourceTime: 4, targetTime: 0, pre: 2, post: 3, crossfadeMs: 30, sampleRate: SR, length: LEN });
    expect(plan.kind).toBe('reference');
    expect(plan.totalSamples).toBe(5 * SR);
    expect(plan.spliceOffsetSamples).toBe(2 * SR);
    expect(plan.fadeSamples).toBe(0);
    const [tone] = render(chs, plan);
    expect(Array.from(tone)).toEqual(Array.from(chs[0].subarray(2 * SR, 7 * SR)));
    const clamped = planReference({ sourceTime: 9, targetTime: 0, pre: 2, post: 3, crossfadeMs: 30, sampleRate: SR, length: LEN });
    expect(clamped.totalSamples).toBe(3 * SR);
    expect(clamped.sourceRange).toEqual([7 * SR, LEN]);
  });
});
