import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFile, ffmpegPath, parseFfmpegOutputFormat, sha256File, type DecodedAudio } from '../src/render/decode.js';
import { encodePcm16 } from '../src/render/wav.js';
import { execFileSync } from 'node:child_process';
import { HarmonizerError } from '../src/shared/errors.js';
import { projectRoot } from '../src/shared/paths.js';

const lenaDir = join(projectRoot, 'node_modules', 'audio-lena');
const lena = (ext: string) => join(lenaDir, `lena.${ext}`);
const dir = mkdtempSync(join(tmpdir(), 'decode-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** RMS of the mono mix in consecutive windows of `winS` seconds: a rate- and codec-independent envelope. */
function envelope(a: DecodedAudio, winS = 0.05): Float64Array {
  const win = Math.round(a.sampleRate * winS);
  const n = Math.floor(a.channels[0].length / win);
  const env = new Float64Array(n);
  for (let w = 0; w < n; w++) {
    let sum = 0;
    for (let i = w * win; i < (w + 1) * win; i++) {
      let m = 0;
      for (const c of a.channels) m += c[i];
      m /= a.channels.length;
      sum += m * m;
    }
    env[w] = Math.sqrt(sum / win);
  }
  return env;
}

/** Best Pearson correlation of two envelopes over lags of ±maxLag windows (codecs delay and pad). */
function bestCorrelation(a: Float64Array, b: Float64Array, maxLag = 6): { r: number; lag: number } {
  let best = { r: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < a.length; i++) {
      const j = i + lag;
      if (j >= 0 && j < b.length) {
        xs.push(a[i]);
        ys.push(b[j]);
      }
    }
    const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
    const my = ys.reduce((s, v) => s + v, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    }
    const r = sxy / Math.sqrt(sxx * syy);
    if (r > best.r) best = { r, lag };
  }
  return best;
}

const rms = (env: Float64Array) => Math.sqrt(env.reduce((s, v) => s + v * v, 0) / env.length);

/**
 * Expected outcome per audio-lena format: MP3 and Ogg (Vorbis, Opus) through the bundled ffmpeg first
 * (2–3× faster, bench render), every other format in-process (audio-decode). `rate` is the codec's
 * native rate (Opus is always 48 kHz); `channels`: the m4a fixture is stored as stereo, and at −3 dB
 * (`level` 1/√2, a pan law applied when the fixture was made: both decoders give the same level, so
 * this is the file, not the decoder).
 */
const FORMATS = {
  wav: { decoder: 'audio-decode', rate: 44100, channels: 1 },
  mp3: { decoder: 'ffmpeg', rate: 44100, channels: 1 },
  ogg: { decoder: 'ffmpeg', rate: 44100, channels: 1 },
  flac: { decoder: 'audio-decode', rate: 44100, channels: 1 },
  opus: { decoder: 'ffmpeg', rate: 48000, channels: 1 },
  m4a: { decoder: 'audio-decode', rate: 44100, channels: 2, level: Math.SQRT1_2 },
  aac: { decoder: 'audio-decode', rate: 44100, channels: 1 },
  webm: { decoder: 'audio-decode', rate: 48000, channels: 1 },
  aiff: { decoder: 'audio-decode', rate: 44100, channels: 1 },
  caf: { decoder: 'audio-decode', rate: 44100, channels: 1 },
} as const;

describe('decodeFile on every audio-lena format', () => {
  let ref: DecodedAudio;
  let refEnv: Float64Array;
  beforeAll(async () => {
    ref = await decodeFile(lena('wav'));
    refEnv = envelope(ref);
  });

  it('the WAV reference is what we expect', () => {
    expect(ref.sampleRate).toBe(44100);
    expect(ref.channels.length).toBe(1);
    expect(ref.duration).toBeCloseTo(12.272, 2);
  });

  for (const [ext, want] of Object.entries(FORMATS)) {
    it(`${ext}: matches the WAV (duration, rate, RMS envelope) via ${want.decoder}`, async () => {
      const a = await decodeFile(lena(ext));
      expect(a.decoder).toBe(want.decoder);
      expect(a.sampleRate).toBe(want.rate);
      expect(a.channels.length).toBe(want.channels);
      for (const c of a.channels) expect(c.length).toBe(a.channels[0].length);
      // Codecs pad and delay by a few frames; 60 ms covers AAC priming and MP3 decoder delay.
      expect(Math.abs(a.duration - ref.duration)).toBeLessThan(0.06);
      const env = envelope(a);
      const { r, lag } = bestCorrelation(refEnv, env);
      expect(r).toBeGreaterThan(0.97);
      expect(Math.abs(lag)).toBeLessThanOrEqual(1); // ≤ 50 ms misalignment
      const level = 'level' in want ? want.level : 1;
      expect(rms(env) / rms(refEnv) / level).toBeGreaterThan(0.9);
      expect(rms(env) / rms(refEnv) / level).toBeLessThan(1.1);
    });
  }
});

/** A Sun .au file (16-bit big-endian PCM): a format audio-decode does not know, so ffmpeg must step in. */
function sunAu(channels: Float32Array[], rate: number): Buffer {
  const n = channels[0].length;
  const h = Buffer.alloc(24);
  h.write('.snd', 0, 'latin1');
  h.writeUInt32BE(24, 4);
  h.writeUInt32BE(n * channels.length * 2, 8);
  h.writeUInt32BE(3, 12); // 16-bit linear PCM
  h.writeUInt32BE(rate, 16);
  h.writeUInt32BE(channels.length, 20);
  const d = Buffer.alloc(n * channels.length * 2);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels.length; c++) d.writeInt16BE(Math.round(channels[c][i] * 32767), (i * channels.length + c) * 2);
  return Buffer.concat([h, d]);
}

describe('the ffmpeg path, chunk by chunk', () => {
  it('grows past a Duration that lies (a chained Ogg declares 2 s, holds 72 s); the 16-bit copy matches encodePcm16', async () => {
    const make = (f: number, d: number, out: string) =>
      execFileSync(ffmpegPath(), ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `sine=f=${f}:d=${d}`, '-ac', '1', '-c:a', 'libvorbis', out]);
    make(440, 70, join(dir, 'long.ogg'));
    make(660, 2, join(dir, 'short.ogg'));
    const chained = join(dir, 'chained.ogg');
    writeFileSync(chained, Buffer.concat([readFileSync(join(dir, 'long.ogg')), readFileSync(join(dir, 'short.ogg'))]));
    const a = await decodeFile(chained, { alloc16: (n) => new Int16Array(n) });
    expect(a.decoder).toBe('ffmpeg');
    expect(a.duration).toBeGreaterThan(71.9);
    expect(a.duration).toBeLessThan(72.2);
    // 72 s decoded although ffmpeg announced 2 s: the storage grew (typed arrays drop writes past their end).
    const zeroCrossingsPerS = (from: number) => {
      let n = 0;
      const c = a.channels[0];
      for (let i = from; i < from + a.sampleRate; i++) if ((c[i - 1]! < 0) !== (c[i]! < 0)) n++;
      return n / 2;
    };
    expect(zeroCrossingsPerS(10 * a.sampleRate)).toBeCloseTo(440, -1);
    expect(zeroCrossingsPerS(Math.floor(70.5 * a.sampleRate))).toBeCloseTo(660, -1);
    const want = new Int16Array(a.channels[0].length);
    encodePcm16(a.channels, 0, a.channels[0].length, want, 0);
    expect(Buffer.from(a.pcm16!.buffer, a.pcm16!.byteOffset, a.pcm16!.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
  });
});

describe('ffmpeg fallback and failures', () => {
  it('decodes what audio-decode cannot (Sun .au, stereo, 22.05 kHz) through ffmpeg, sample-exact', async () => {
    const n = 22050;
    const l = new Float32Array(n).map((_, i) => Math.sin(i / 5) * 0.5);
    const r = new Float32Array(n).map((_, i) => ((i % 100) / 100) * 0.25);
    const path = join(dir, 'stereo.au');
    writeFileSync(path, sunAu([l, r], 22050));
    const shared: SharedArrayBuffer[] = [];
    const a = await decodeFile(path, {
      alloc: (k) => {
        const sab = new SharedArrayBuffer(k * 4);
        shared.push(sab);
        return new Float32Array(sab);
      },
    });
    expect(a.decoder).toBe('ffmpeg');
    expect(a.sampleRate).toBe(22050);
    expect(a.channels.length).toBe(2);
    expect(a.channels[0].length).toBe(n);
    expect(a.duration).toBeCloseTo(1, 6);
    expect(a.channels[0].buffer).toBe(shared[0]); // decoded straight into the allocator's memory
    for (let i = 0; i < n; i += 101) {
      expect(a.channels[0][i]).toBeCloseTo(l[i], 3);
      expect(a.channels[1][i]).toBeCloseTo(r[i], 3);
    }
  });

  it('a corrupt file fails with DECODE_FAILED naming the file and both decoders', async () => {
    const path = join(dir, 'corrupt.mp3');
    writeFileSync(path, randomBytes(4096));
    const err = await decodeFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarmonizerError);
    expect((err as HarmonizerError).code).toBe('DECODE_FAILED');
    const msg = (err as Error).message;
    expect(msg).toContain(path);
    expect(msg).toMatch(/audio-decode: .+; ffmpeg: .+/);
  });

  it('a truncated WAV header (RIFF with no fmt/data) fails with DECODE_FAILED', async () => {
    const path = join(dir, 'truncated.wav');
    writeFileSync(path, readFileSync(lena('wav')).subarray(0, 30));
    await expect(decodeFile(path)).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringContaining(path) });
  });

  it('missing and empty files fail with DECODE_FAILED and say why', async () => {
    await expect(decodeFile(join(dir, 'nope.wav'))).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/cannot read the file/) });
    const empty = join(dir, 'empty.ogg');
    writeFileSync(empty, '');
    await expect(decodeFile(empty)).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/empty/) });
  });

  it('refuses PCM above maxPcmBytes', async () => {
    await expect(decodeFile(lena('wav'), { maxPcmBytes: 1000 })).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/exceeds 1000 bytes/) });
  });

  it('parses the output format line of ffmpeg', () => {
    const stderr = `Input #0, au ...\n    Stream #0:0: Audio: pcm_s16be, 22050 Hz, 2 channels, s16, 705 kb/s\nOutput #0, f32le, to 'pipe:':\n    Stream #0:0: Audio: pcm_f32le, 22050 Hz, stereo, flt, 1411 kb/s\n`;
    expect(parseFfmpegOutputFormat(stderr)).toEqual({ sampleRate: 22050, channels: 2 });
    expect(parseFfmpegOutputFormat(stderr.replace('stereo', '5.1(side)'))).toEqual({ sampleRate: 22050, channels: 6 });
    expect(parseFfmpegOutputFormat(stderr.replace('stereo', '3 channels'))).toEqual({ sampleRate: 22050, channels: 3 });
    expect(parseFfmpegOutputFormat('no output section')).toBeUndefined();
  });
});

describe('sha256File', () => {
  it('hashes the file bytes', async () => {
    const want = createHash('sha256').update(readFileSync(lena('flac'))).digest('hex');
    expect(await sha256File(lena('flac'))).toBe(want);
    await expect(sha256File(join(dir, 'missing'))).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });
});
