import { writeFileSync } from 'node:fs';
import { encodeWav } from '../../src/render/index.js';

/** Writes a stereo WAV: a 440 Hz tone for the first half, 660 Hz for the second. */
export function writeToneWav(path: string, seconds: number, sampleRate = 44100): void {
  const n = Math.round(seconds * sampleRate);
  const ch = new Float32Array(n);
  for (let i = 0; i < n; i++) ch[i] = 0.3 * Math.sin((2 * Math.PI * (i < n / 2 ? 440 : 660) * i) / sampleRate);
  writeFileSync(path, encodeWav([ch, ch], sampleRate));
}
