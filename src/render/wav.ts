/**
 * 16-bit PCM WAV: a fast encoder (one allocation, header written in place, interleave + clamp + round
 * in a single pass over an Int16Array view; `allocWav` + `encodePcm16` let a caller fill a file piecewise
 * straight from its sources, e.g. the render worker from the shared track PCM) and a minimal reader (PCM 16/24/32-bit int and 32-bit float)
 * used by tests and the benchmark.
 */
import { endianness } from 'node:os';

const HEADER_BYTES = 44;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Encodes planar float channels (nominal range −1..1) as a 16-bit PCM WAV file.
 * Each sample is scaled by 32767, rounded to nearest (halves up, no dither) and clamped to −32768..32767;
 * NaN becomes 0.
 * Preconditions: ≥ 1 channel, all channels hold ≥ `frames` samples, 1 ≤ sampleRate ≤ 2³²−1;
 * `frames` defaults to the first channel's length. Data above 4 GiB cannot be expressed in WAV and throws.
 * Cost O(frames · channels), one Buffer of 44 + 2·frames·channels bytes; no other allocation.
 */
export function encodeWav(channels: readonly Float32Array[], sampleRate: number, frames: number = channels[0]?.length ?? 0): Buffer {
  return encodeWavInto(undefined, channels, sampleRate, frames);
}

/** Bytes of a 16-bit PCM WAV file of `frames` frames × `channels` channels. */
export function wavByteLength(frames: number, channels: number): number {
  return HEADER_BYTES + frames * channels * 2;
}

/**
 * `encodeWav` into caller-owned memory: when `target` holds ≥ `wavByteLength(frames, nch)` bytes the
 * file is written at its start and a Buffer view of exactly the file is returned (no allocation), so a
 * worker can reuse one scratch buffer for every snippet; otherwise a fresh buffer is allocated.
 * The returned view aliases `target`: consume it before the next call.
 */
export function encodeWavInto(target: ArrayBuffer | undefined, channels: readonly Float32Array[], sampleRate: number, frames: number = channels[0]?.length ?? 0): Buffer {
  const { file, samples } = allocWav(target, channels.length, sampleRate, frames);
  encodePcm16(channels, 0, frames, samples, 0);
  return file;
}

/**
 * Allocates (or reuses `target` for) a 16-bit PCM WAV file of `frames` × `nch`, writes its 44-byte
 * header and returns the whole file plus an Int16Array view of its interleaved sample area, to be
 * filled with `encodePcm16` (possibly piecewise). Throws RangeError on impossible formats.
 */
export function allocWav(target: ArrayBuffer | undefined, nch: number, sampleRate: number, frames: number): { file: Buffer; samples: Int16Array } {
  if (!Number.isInteger(nch) || nch < 1 || nch > 65535) throw new RangeError(`encodeWav: channel count must be 1..65535 (got ${nch})`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) throw new RangeError(`encodeWav: invalid sampleRate ${sampleRate}`);
  if (!Number.isSafeInteger(frames) || frames < 0) throw new RangeError(`encodeWav: invalid frame count ${frames}`);
  const dataBytes = frames * nch * 2;
  if (dataBytes + HEADER_BYTES - 8 > 0xffffffff) throw new RangeError('encodeWav: data exceeds the 4 GiB WAV limit');
  // An ArrayBuffer of our own (not the Buffer pool) so the Int16Array view at offset 44 is aligned.
  const ab = target !== undefined && target.byteLength >= HEADER_BYTES + dataBytes ? target : new ArrayBuffer(HEADER_BYTES + dataBytes);
  const buf = Buffer.from(ab, 0, HEADER_BYTES + dataBytes);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(HEADER_BYTES - 8 + dataBytes, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(nch, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * nch * 2, 28); // byte rate
  buf.writeUInt16LE(nch * 2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataBytes, 40);
  return { file: buf, samples: new Int16Array(ab, HEADER_BYTES, frames * nch) };
}

/**
 * Converts `frames` frames of planar float input, starting at input index `srcStart` of every channel,
 * to interleaved little-endian 16-bit PCM at frame `outFrame` of `out` (the sample area of a WAV file).
 * Each sample is scaled by 32767, rounded to nearest (halves up, = Math.round, no dither) and clamped
 * to −32768..32767; NaN becomes 0. Preconditions: every channel holds ≥ srcStart + frames samples and
 * out.length ≥ (outFrame + frames) · channels. Cost O(frames · channels), no allocation; stereo and
 * mono have straight-line loops (the common cases: ~1 ns per sample).
 */
export function encodePcm16(channels: readonly Float32Array[], srcStart: number, frames: number, out: Int16Array, outFrame: number): void {
  const nch = channels.length;
  for (let c = 0; c < nch; c++) {
    if (channels[c].length < srcStart + frames) throw new RangeError(`encodeWav: channel ${c} holds ${channels[c].length} < ${srcStart + frames} samples`);
  }
  if (out.length < (outFrame + frames) * nch) throw new RangeError('encodeWav: output too small');
  // Round-to-nearest by offsetting into the positive range and letting `| 0` truncate (≈4× faster than
  // Math.round in V8); clamp BEFORE the store, since typed-array stores wrap modulo 2¹⁶ instead of
  // saturating; NaN fails both comparisons and maps to the midpoint 32768 (silence). `^ 0x8000`
  // recentres 0..65535 to −32768..32767 in the Int16 store.
  if (nch === 2) {
    const L = channels[0];
    const R = channels[1];
    for (let i = 0, j = outFrame * 2; i < frames; i++, j += 2) {
      let v = L[srcStart + i] * 32767 + 32768.5;
      v = v >= 0 ? (v < 65535 ? v : 65535) : v < 0 ? 0 : 32768;
      out[j] = (v | 0) ^ 0x8000;
      let w = R[srcStart + i] * 32767 + 32768.5;
      w = w >= 0 ? (w < 65535 ? w : 65535) : w < 0 ? 0 : 32768;
      out[j + 1] = (w | 0) ^ 0x8000;
    }
  } else {
    for (let c = 0; c < nch; c++) {
      const ch = channels[c];
      for (let i = 0, j = outFrame * nch + c; i < frames; i++, j += nch) {
        let v = ch[srcStart + i] * 32767 + 32768.5;
        v = v >= 0 ? (v < 65535 ? v : 65535) : v < 0 ? 0 : 32768;
        out[j] = (v | 0) ^ 0x8000;
      }
    }
  }
  if (!LITTLE_ENDIAN) {
    // WAV is little-endian; typed arrays use the platform's order. Swap the range just written.
    const bytes = new Uint8Array(out.buffer, out.byteOffset + outFrame * nch * 2, frames * nch * 2);
    for (let k = 0; k < bytes.length; k += 2) {
      const t = bytes[k];
      bytes[k] = bytes[k + 1];
      bytes[k + 1] = t;
    }
  }
}

export interface WavData {
  channels: Float32Array[];
  sampleRate: number;
  bitsPerSample: number;
  format: 'pcm' | 'float';
}

/**
 * Minimal WAV reader: RIFF/WAVE with PCM 8/16/24/32-bit or IEEE float 32-bit (WAVE_FORMAT_EXTENSIBLE
 * accepted). Integer samples are scaled by 1/32768 (16-bit; 1/2^(bits−1) generally). Throws on anything
 * else. Cost O(samples); allocates the planar output.
 */
export function readWav(bytes: Uint8Array): WavData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let off = 12;
  let fmt: { tag: number; nch: number; rate: number; bits: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      let tag = buf.readUInt16LE(body);
      if (tag === 0xfffe && size >= 26) tag = buf.readUInt16LE(body + 24); // extensible: sub-format GUID
      fmt = { tag, nch: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      const end = Math.min(buf.length, body + size);
      return decodeData(buf.subarray(body, end), fmt);
    }
    off = body + size + (size & 1); // chunks are word-aligned
  }
  throw new Error('no data chunk');
}

function decodeData(data: Buffer, fmt: { tag: number; nch: number; rate: number; bits: number }): WavData {
  const { tag, nch, rate, bits } = fmt;
  if (nch < 1) throw new Error('zero channels');
  const bps = bits / 8;
  if (!((tag === 1 && [8, 16, 24, 32].includes(bits)) || (tag === 3 && bits === 32))) {
    throw new Error(`unsupported WAV format tag ${tag} with ${bits} bits`);
  }
  const frames = Math.floor(data.length / (bps * nch));
  const channels = Array.from({ length: nch }, () => new Float32Array(frames));
  const scale = 1 / 2 ** (bits - 1);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      const p = (i * nch + c) * bps;
      let v: number;
      if (tag === 3) v = data.readFloatLE(p);
      else if (bits === 16) v = data.readInt16LE(p) * scale;
      else if (bits === 24) v = data.readIntLE(p, 3) * scale;
      else if (bits === 32) v = data.readInt32LE(p) * scale;
      else v = (data[p] - 128) / 128;
      channels[c][i] = v;
    }
  }
  return { channels, sampleRate: rate, bitsPerSample: bits, format: tag === 3 ? 'float' : 'pcm' };
}
