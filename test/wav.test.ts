import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../src/render/decode.js';
import { encodeWav, readWav } from '../src/render/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'wav-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stereo(frames: number): Float32Array[] {
  const l = new Float32Array(frames);
  const r = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    l[i] = Math.sin(i / 10) * 0.9;
    r[i] = Math.cos(i / 7) * 0.5;
  }
  return [l, r];
}

describe('encodeWav', () => {
  it('writes a canonical 44-byte PCM header', () => {
    const buf = encodeWav(stereo(1000), 44100);
    expect(buf.length).toBe(44 + 1000 * 2 * 2);
    expect(buf.toString('latin1', 0, 4)).toBe('RIFF');
    expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
    expect(buf.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(buf.readUInt32LE(16)).toBe(16);
    expect(buf.readUInt16LE(20)).toBe(1); // PCM
    expect(buf.readUInt16LE(22)).toBe(2);
    expect(buf.readUInt32LE(24)).toBe(44100);
    expect(buf.readUInt32LE(28)).toBe(44100 * 4);
    expect(buf.readUInt16LE(32)).toBe(4);
    expect(buf.readUInt16LE(34)).toBe(16);
    expect(buf.toString('latin1', 36, 40)).toBe('data');
    expect(buf.readUInt32LE(40)).toBe(4000);
  });

  it('interleaves, rounds to nearest and clamps (no wrap-around)', () => {
    const l = Float32Array.from([0, 1, -1, 2, -2, 0.6 / 32767, -0.4 / 32767, NaN]);
    const r = Float32Array.from([0.25, -0.25, 1e-9, 0, 0, 0, 0, 0]);
    const buf = encodeWav([l, r], 8000);
    const s = (i: number) => buf.readInt16LE(44 + i * 2);
    expect([s(0), s(2), s(4), s(6), s(8), s(10), s(12), s(14)]).toEqual([0, 32767, -32767, 32767, -32768, 1, 0, 0]);
    expect([s(1), s(3), s(5)]).toEqual([Math.round(0.25 * 32767), Math.round(-0.25 * 32767), 0]);
  });

  it('round-trips through readWav within one quantisation step', () => {
    const chs = stereo(5000);
    const back = readWav(encodeWav(chs, 48000));
    expect(back.sampleRate).toBe(48000);
    expect(back.channels.length).toBe(2);
    expect(back.channels[0].length).toBe(5000);
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < 5000; i++) expect(Math.abs(back.channels[c][i] - chs[c][i])).toBeLessThan(1.5 / 32768);
    }
  });

  it('encodes only the first `frames` frames when asked, mono too', () => {
    const buf = encodeWav([new Float32Array(100).fill(0.5)], 22050, 10);
    expect(buf.length).toBe(44 + 20);
    expect(() => encodeWav([new Float32Array(5)], 22050, 10)).toThrow(/holds 5 < 10 samples/);
    expect(() => encodeWav([], 22050)).toThrow(/channel count/);
    expect(() => encodeWav([new Float32Array(5)], 0)).toThrow(/sampleRate/);
  });

  it('is read back identically by ffmpeg', () => {
    const chs = stereo(4410);
    const path = join(dir, 'x.wav');
    writeFileSync(path, encodeWav(chs, 44100));
    const raw = execFileSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 's16le', '-'], { maxBuffer: 1 << 24 });
    const ours = readWav(encodeWav(chs, 44100));
    expect(raw.length).toBe(4410 * 4);
    for (let i = 0; i < 4410; i += 37) {
      expect(raw.readInt16LE(i * 4) / 32768).toBeCloseTo(ours.channels[0][i], 6);
      expect(raw.readInt16LE(i * 4 + 2) / 32768).toBeCloseTo(ours.channels[1][i], 6);
    }
  });
});

describe('readWav', () => {
  it('rejects non-WAV input and skips unknown chunks', () => {
    expect(() => readWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
    const wav = encodeWav([Float32Array.from([0.5, -0.5])], 8000);
    // Insert a LIST chunk of odd size (padded) between fmt and data.
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    const back = readWav(withList);
    expect(back.channels[0][0]).toBeCloseTo(0.5, 4);
    expect(back.channels[0][1]).toBeCloseTo(-0.5, 4);
  });
});
