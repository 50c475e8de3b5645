/**
 * Waveform peaks of a clip. Snippets are 16-bit PCM WAV (src/render/wav.ts), read here directly:
 * no AudioContext is needed (the page may not have had a user gesture yet), and it is exact.
 * Other formats return null and the caller falls back to Web Audio's decodeAudioData.
 * Browser-safe: no DOM, no Node.
 */
export interface Peaks {
  /** Per column, the lowest and highest sample (channels mixed) in −1..1. */
  min: Float32Array;
  max: Float32Array;
  duration: number;
}

/** Min/max per column over the mixed channels. Cost O(frames · channels). */
export function peaksOf(channels: readonly Float32Array[], sampleRate: number, columns: number): Peaks {
  const frames = channels[0]?.length ?? 0;
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const nch = channels.length;
  for (let col = 0; col < columns; col++) {
    const a = Math.floor((col * frames) / columns);
    const b = Math.max(a + 1, Math.floor(((col + 1) * frames) / columns));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = a; i < b && i < frames; i++) {
      let v = 0;
      for (let c = 0; c < nch; c++) v += channels[c]![i]!;
      v /= nch;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[col] = lo === Infinity ? 0 : lo;
    max[col] = hi === -Infinity ? 0 : hi;
  }
  return { min, max, duration: sampleRate > 0 ? frames / sampleRate : 0 };
}

/** Planar float channels of a PCM (8/16/24/32-bit) or float32 WAV; null for anything else. */
export function readWavChannels(buf: ArrayBuffer): { channels: Float32Array[]; sampleRate: number } | null {
  const v = new DataView(buf);
  const tag4 = (o: number) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (buf.byteLength < 12 || tag4(0) !== 'RIFF' || tag4(8) !== 'WAVE') return null;
  let off = 12;
  let fmt: { tag: number; nch: number; rate: number; bits: number } | undefined;
  while (off + 8 <= buf.byteLength) {
    const id = tag4(off);
    const size = v.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ' && body + 16 <= buf.byteLength) {
      let tag = v.getUint16(body, true);
      if (tag === 0xfffe && size >= 26) tag = v.getUint16(body + 24, true);
      fmt = { tag, nch: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt || fmt.nch < 1) return null;
      const { tag, nch, rate, bits } = fmt;
      if (!((tag === 1 && [8, 16, 24, 32].includes(bits)) || (tag === 3 && bits === 32))) return null;
      const bps = bits / 8;
      const end = Math.min(buf.byteLength, body + size);
      const frames = Math.floor((end - body) / (bps * nch));
      const channels = Array.from({ length: nch }, () => new Float32Array(frames));
      const scale = 1 / 2 ** (bits - 1);
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < nch; c++) {
          const p = body + (i * nch + c) * bps;
          let s: number;
          if (tag === 3) s = v.getFloat32(p, true);
          else if (bits === 16) s = v.getInt16(p, true) * scale;
          else if (bits === 24) s = ((v.getUint8(p) | (v.getUint8(p + 1) << 8) | (v.getInt8(p + 2) << 16)) * scale);
          else if (bits === 32) s = v.getInt32(p, true) * scale;
          else s = (v.getUint8(p) - 128) / 128;
          channels[c]![i] = s;
        }
      }
      return { channels, sampleRate: rate };
    }
    off = body + size + (size & 1);
  }
  return null;
}

/** Peaks of a WAV file's bytes, or null when it is not a WAV this reader handles. */
export function wavPeaks(buf: ArrayBuffer, columns: number): Peaks | null {
  const w = readWavChannels(buf);
  return w ? peaksOf(w.channels, w.sampleRate, columns) : null;
}
