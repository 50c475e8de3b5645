import { describe, expect, it } from 'vitest';
import { encodeWav } from '../src/render/index.js';
import { readWavChannels, wavPeaks, peaksOf } from '../src/labeler/browser/wav.js';
import { actionOf, stepRate, KEYMAP } from '../src/labeler/browser/keys.js';
import { LABELER_PAGE } from '../src/labeler/page.js';

/** The browser modules' pure parts (WAV peaks, key map) run under Node here. */
describe('labeler browser helpers', () => {
  it('reads the 16-bit WAV the renderer writes and computes min/max peaks per column', () => {
    const n = 800;
    const left = new Float32Array(n).map((_, i) => (i < n / 2 ? 0.5 : -0.25));
    const right = new Float32Array(n).map((_, i) => (i < n / 2 ? 0.5 : -0.75));
    const wav = encodeWav([left, right], 8000);
    const ab = wav.buffer.slice(wav.byteOffset, wav.byteOffset + wav.byteLength) as ArrayBuffer;
    const w = readWavChannels(ab)!;
    expect(w.sampleRate).toBe(8000);
    expect(w.channels.length).toBe(2);
    expect(w.channels[0]![0]).toBeCloseTo(0.5, 4);
    const p = wavPeaks(ab, 4)!;
    expect(p.duration).toBeCloseTo(0.1, 9);
    expect(Array.from(p.max).map((v) => +v.toFixed(3))).toEqual([0.5, 0.5, -0.5, -0.5]);
    expect(Array.from(p.min).map((v) => +v.toFixed(3))).toEqual([0.5, 0.5, -0.5, -0.5]);
    expect(wavPeaks(new TextEncoder().encode('not a wav at all').buffer as ArrayBuffer, 4)).toBeNull();
    // More columns than frames still fills every column.
    expect(peaksOf([new Float32Array([1, -1])], 2, 5).max.length).toBe(5);
  });

  it('maps each key to one action and every action has a button showing its key', () => {
    expect(actionOf({ key: 'g' })).toBe('good');
    expect(actionOf({ key: 'G' })).toBe('good');
    expect(actionOf({ key: ' ' })).toBe('play');
    expect(actionOf({ key: 'ArrowLeft' })).toBe('back');
    expect(actionOf({ key: 'g', ctrlKey: true })).toBeUndefined();
    expect(actionOf({ key: 'x' })).toBeUndefined();
    for (const action of new Set(Object.values(KEYMAP))) expect(LABELER_PAGE).toContain(`data-action="${action}"><kbd>`);
    expect(stepRate(1, 1)).toBe(1.25);
    expect(stepRate(2, 1)).toBe(2);
    expect(stepRate(0.5, -1)).toBe(0.5);
  });
});
