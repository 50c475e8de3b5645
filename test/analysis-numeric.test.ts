import { describe, expect, it } from 'vitest';
import { argmax, gcd, hannWindow, mean, median, parabolicPeak, percentile, powerToDb, round, std } from '../src/analysis/numeric.js';
import { resample } from '../src/analysis/resample.js';
import { gaussianSmooth, tempoPrior } from '../src/analysis/tempo.js';
import { trackTempo } from '../src/analysis/tempo-track.js';
import { autoThreshold, chromaDistance, contextDistance, timbreDistance } from '../src/analysis/candidates.js';
import { dctMatrix, hzToMel, melFilterbank, melToHz } from '../src/analysis/mel.js';
import { compressedFlux, melToDbInPlace, spectralFlux, TOP_DB } from '../src/analysis/onset.js';
import { labelName, noveltyCurve, normalizeRows } from '../src/analysis/sections.js';
import { frameCount, frameMeanSquare, stftPower } from '../src/analysis/stft.js';
import { localScore, trackBeats, trimBeats } from '../src/analysis/beats.js';
import { downbeatContrast, estimateMeterAndDownbeats } from '../src/analysis/meter.js';
import { standardizeColumns, zscore } from '../src/analysis/standardize.js';
import { beatSpans } from '../src/analysis/beatsync.js';
import { chromaMap, accumulateChroma } from '../src/analysis/chroma.js';

describe('numeric helpers', () => {
  it('mean / std / percentile / median with hand values and empty input', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBe(0);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12); // ddof = 1
    expect(std([5])).toBe(0);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30], 25)).toBe(15);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([], 50)).toBe(0);
    expect(median([5, 1, 3])).toBe(3);
  });

  it('std is stable for large offsets (two-pass)', () => {
    expect(std([1e9 + 1, 1e9 + 2, 1e9 + 3])).toBeCloseTo(1, 6);
  });

  it('parabolicPeak: exact vertex of a sampled parabola, edges unchanged', () => {
    // y = -(x - 2.3)^2 sampled at 1, 2, 3.
    const y = [0, -(1.3 ** 2), -(0.3 ** 2), -(0.7 ** 2), -10];
    expect(parabolicPeak(y, 2)).toBeCloseTo(2.3, 12);
    expect(parabolicPeak(y, 0)).toBe(0);
    expect(parabolicPeak([1, 1, 1], 1)).toBe(1); // flat: no division by zero
  });

  it('argmax, gcd, round, powerToDb', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([])).toBe(-1);
    expect(argmax([5, 1, 4], 1)).toBe(2);
    expect(gcd(44100, 22050)).toBe(22050);
    expect(gcd(48000, 22050)).toBe(150);
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(Number.NaN, 2)).toBe(0);
    expect(powerToDb(1)).toBe(0);
    expect(powerToDb(0.01)).toBeCloseTo(-20, 12);
    expect(powerToDb(0)).toBe(-100);
  });

  it('hann window (periodic): zero at 0, one at n/2', () => {
    const w = hannWindow(8);
    expect(w[0]).toBe(0);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w[2]).toBeCloseTo(0.5, 12);
  });

  it('zscore and standardizeColumns: constant input gives zeros, not NaN', () => {
    expect(Array.from(zscore([3, 3, 3]))).toEqual([0, 0, 0]);
    const z = zscore([1, 2, 3]);
    expect(Array.from(z)).toEqual([-1, 0, 1]);
    const m = standardizeColumns(Float32Array.from([1, 5, 2, 5, 3, 5]), 3, 2);
    expect(Array.from(m)).toEqual([-1, 0, 0, 0, 1, 0]);
  });
});

describe('resampling', () => {
  it('output length and DC gain: a constant stays constant away from the edges', () => {
    const x = new Float32Array(44100).fill(0.5);
    const y = resample(x, 44100, 22050);
    expect(y.length).toBe(22050);
    for (let i = 100; i < y.length - 100; i += 97) expect(y[i]).toBeCloseTo(0.5, 5);
    expect(resample(x, 48000, 22050).length).toBe(Math.floor((44100 * 22050) / 48000));
    expect(resample(new Float32Array(0), 44100, 22050).length).toBe(0);
  });

  it('keeps a 1 kHz sine (amplitude within 0.5 %) and removes a 15 kHz one when going to 22.05 kHz', () => {
    const n = 44100;
    const lo = new Float32Array(n);
    const hi = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      lo[i] = Math.sin((2 * Math.PI * 1000 * i) / 44100);
      hi[i] = Math.sin((2 * Math.PI * 15000 * i) / 44100);
    }
    const rms = (y: Float32Array) => Math.sqrt(mean(Array.from(y.subarray(500, y.length - 500), (v) => v * v)));
    expect(rms(resample(lo, 44100, 22050)) * Math.SQRT2).toBeCloseTo(1, 2);
    expect(rms(resample(hi, 44100, 22050))).toBeLessThan(0.01); // aliasing suppressed by > 40 dB
    // Upsampling (16 kHz -> 22.05 kHz) keeps the tone too.
    const up = new Float32Array(16000);
    for (let i = 0; i < up.length; i++) up[i] = Math.sin((2 * Math.PI * 440 * i) / 16000);
    expect(rms(resample(up, 16000, 22050)) * Math.SQRT2).toBeCloseTo(1, 2);
  });

  it('same rate returns a copy', () => {
    const x = Float32Array.from([1, 2, 3]);
    const y = resample(x, 22050, 22050);
    expect(Array.from(y)).toEqual([1, 2, 3]);
    expect(y).not.toBe(x);
  });
});

describe('spectral stages', () => {
  it('stft: frame count, DC bin of a constant, Parseval loudness of a sine', () => {
    expect(frameCount(0, 512)).toBe(0);
    expect(frameCount(1024, 512)).toBe(3);
    const n = 4096;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin((2 * Math.PI * 64 * i) / 1024); // bin 64 of a 1024-point FFT
    const win = hannWindow(1024);
    const we = win.reduce((s, v) => s + v * v, 0);
    let ms = 0;
    let peakBin = -1;
    stftPower(x, 1024, 512, (t, p) => {
      if (t === 4) {
        ms = frameMeanSquare(p, 1024, we);
        peakBin = argmax(p);
      }
    });
    expect(peakBin).toBe(64);
    expect(ms).toBeCloseTo(0.5, 3); // mean square of a unit sine
  });

  it('mel scale round trip and filterbank: every band non-empty, unit area', () => {
    expect(hzToMel(700)).toBeCloseTo(2595 * Math.log10(2), 9);
    expect(melToHz(hzToMel(1234))).toBeCloseTo(1234, 9);
    const bank = melFilterbank(64, 2048, 22050, 30, 11025);
    for (let m = 0; m < 64; m++) expect(bank.offset[m + 1]).toBeGreaterThan(bank.offset[m]);
  });

  it('DCT matrix is orthonormal', () => {
    const d = dctMatrix(8, 8);
    for (let a = 0; a < 8; a++) {
      for (let b = 0; b < 8; b++) {
        let s = 0;
        for (let i = 0; i < 8; i++) s += d[a * 8 + i] * d[b * 8 + i];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
  });

  it('dB conversion and flux by hand', () => {
    const mel = Float32Array.from([1, 0.1, 0, 1]); // 2 frames x 2 bands
    melToDbInPlace(mel);
    expect(Array.from(mel)).toEqual([0, -10, -TOP_DB, 0]);
    const env = spectralFlux(mel, 2, 2);
    expect(env[0]).toBe(0);
    expect(env[1]).toBeCloseTo((0 + 10) / 2, 5); // band 0 falls (ignored), band 1 rises 10 dB
    expect(Array.from(compressedFlux(new Float32Array(6), 3, 2))).toEqual([0, 0, 0]); // silence: no NaN
  });

  it('chroma: an A4 spectrum peak lands in pitch class 9', () => {
    const map = chromaMap(2048, 22050);
    const p = new Float64Array(1025);
    p[Math.round(440 / (22050 / 2048))] = 1;
    const acc = new Float32Array(12);
    accumulateChroma(map, p, acc, 0);
    expect(argmax(acc)).toBe(9);
  });
});

describe('tempo and beat tracking helpers', () => {
  it('tempo prior is 1 at 120 BPM and symmetric in octaves', () => {
    expect(tempoPrior(120)).toBe(1);
    expect(tempoPrior(60)).toBeCloseTo(tempoPrior(240), 12);
    expect(tempoPrior(60)).toBeCloseTo(Math.exp(-0.5), 12);
  });

  it('gaussianSmooth keeps a constant and spreads an impulse symmetrically', () => {
    expect(Array.from(gaussianSmooth([1, 1, 1, 1], 1)).every((v) => Math.abs(v - 1) < 1e-12)).toBe(true);
    const s = gaussianSmooth([0, 0, 0, 1, 0, 0, 0], 1);
    expect(s[2]).toBeCloseTo(s[4], 12);
    expect(s[3]).toBeGreaterThan(s[2]);
  });

  it('trackTempo on an impulse train at 180 BPM (no octave error); silence has no clear window', () => {
    const fps = 22050 / 512;
    const env = new Float64Array(1500);
    const period = (60 * fps) / 180;
    for (let k = 0; k * period < env.length - 1; k++) env[Math.round(k * period)] = 1;
    const t = trackTempo(env, env, fps);
    for (const p of t.periods) expect(Math.abs((60 * fps) / p - 180)).toBeLessThan(4);
    expect(Math.min(...t.clarity)).toBeGreaterThan(0.8); // a fractional period rounded to frames blurs the peak a little
    expect(Math.max(...trackTempo(new Float64Array(1500), new Float64Array(1500), fps).clarity)).toBe(0);
  });

  it('DP beat tracker follows an impulse train and returns nothing for silence', () => {
    const env = new Float64Array(400);
    for (let t = 10; t < 400; t += 20) env[t] = 1;
    const beats = trackBeats(localScore(env, 20), 20);
    expect(Array.from(beats)).toEqual(Array.from({ length: 20 }, (_, k) => 10 + 20 * k).filter((t) => t < 400));
    expect(trackBeats(localScore(new Float64Array(400), 20), 20).length).toBe(0);
    expect(trackBeats(new Float64Array(0), 20).length).toBe(0);
  });

  it('trimBeats drops weak beats at the ends only', () => {
    const local = Float64Array.from([0, 5, 5, 0, 5, 5, 0]);
    expect(Array.from(trimBeats(local, Int32Array.from([0, 1, 2, 3, 4, 5, 6])))).toEqual([1, 2, 3, 4, 5]);
  });

  it('beatSpans: the last beat gets the median length, clipped to the frames', () => {
    expect(Array.from(beatSpans(Int32Array.from([0, 10, 20, 31]), 35))).toEqual([0, 10, 10, 20, 20, 31, 31, 35]);
  });
});

describe('meter, sections, candidates', () => {
  it('downbeatContrast by hand; a low-band accent every 3 / 4 beats gives meter 3 / 4; short tracks are in 4', () => {
    // Class 0 of [3, 1, 1, 3, 1, 1] (mod 3): mean 3 vs mean 1 of the others.
    expect(downbeatContrast([3, 1, 1, 3, 1, 1], 3, 0)).toBe(2);
    expect(downbeatContrast([3, 1, 1, 3, 1, 1], 3, 1)).toBe(-1);
    const low = (m: number, n = 48) => Float32Array.from({ length: n }, (_, i) => (i % m === 0 ? -10 : -30));
    const none = (n = 48) => new Float32Array(n * 12);
    expect(estimateMeterAndDownbeats(none(), low(3), 48).meter).toBe(3);
    expect(estimateMeterAndDownbeats(none(), low(4), 48).meter).toBe(4);
    expect(estimateMeterAndDownbeats(none(10), low(3, 10), 10).meter).toBe(4); // too short: default 4
  });

  it('novelty peaks at the boundary of two blocks', () => {
    const rows = 40;
    const x = new Float32Array(rows * 2);
    for (let i = 0; i < rows; i++) x[i * 2 + (i < 20 ? 0 : 1)] = 1;
    normalizeRows(x, rows, 2);
    const nov = noveltyCurve(x, rows, 2, 8);
    expect(argmax(nov)).toBe(20);
  });

  it('labelName', () => {
    expect([0, 1, 25, 26, 27].map(labelName)).toEqual(['A', 'B', 'Z', 'AA', 'AB']);
  });

  it('chroma and timbre distances by hand', () => {
    const c = new Float32Array(36);
    c[0] = 1; // beat 0: C
    c[12] = 1; // beat 1: C
    c[24 + 7] = 1; // beat 2: G
    expect(chromaDistance(c, 0, 1)).toBe(0);
    expect(chromaDistance(c, 0, 2)).toBe(1);
    expect(chromaDistance(new Float32Array(24), 0, 1)).toBe(0); // both silent
    const m = new Float32Array(26);
    m[0] = 100; // coefficient 0 (level) is ignored
    m[13 + 1] = 3;
    m[13 + 2] = 4;
    expect(timbreDistance(m, 0, 1)).toBe(5);
  });

  it('contextDistance skips offsets outside the track and renormalizes', () => {
    const n = 3;
    const d = Float32Array.from([0, 1, 2, 1, 0, 3, 2, 3, 0]);
    // i = 0, j = 2: offsets -2, -1 out of range; 0 -> d[0][2] = 2 (w 1); +1 -> j + 1 out of range.
    expect(contextDistance(d, n, 0, 2)).toBe(2);
  });

  it('autoThreshold: the classic grid search for 1/6 coverage', () => {
    // 12 beats, need 2 with a candidate; 2nd smallest best = 0.33 -> grid 0.2 + 3 * 0.05 = 0.35.
    const best = Float64Array.from([0.5, 0.33, 0.9, 0.1, Infinity, 1, 1, 1, 1, 1, 1, 1]);
    expect(autoThreshold(best)).toBeCloseTo(0.35, 12);
    expect(autoThreshold(Float64Array.from([0.01, 0.01, 1, 1, 1, 1]))).toBe(0.2); // never below the start
    expect(autoThreshold(Float64Array.from([Infinity, Infinity]))).toBe(0.2);
    expect(autoThreshold(new Float64Array(0))).toBe(0.2);
  });
});
