import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Bytes } from '../src/render/decode.js';
import type { SharedPcm } from '../src/render/messages.js';
import { decodeToShared, PcmCache, pcmBytes, pcmViews } from '../src/render/pcm-cache.js';
import { encodeWav } from '../src/render/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'pcm-cache-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake entry of `bytes` bytes (one channel). */
const pcm = (key: string, bytes: number): SharedPcm => ({ sha256: key, sampleRate: 8000, length: bytes / 4, channels: [new SharedArrayBuffer(bytes)] });
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('PcmCache', () => {
  it('concurrent requests for one key share a single load', async () => {
    const cache = new PcmCache({ capacityBytes: 1 << 20 });
    let loads = 0;
    const load = async () => {
      loads++;
      await tick();
      return pcm('a', 400);
    };
    const got = await Promise.all(Array.from({ length: 8 }, () => cache.get('a', load)));
    expect(loads).toBe(1);
    expect(new Set(got).size).toBe(1);
    await cache.get('a', load); // hit
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ loads: 1, hits: 1, misses: 8, entries: 1, bytes: 400 });
  });

  it('evicts least-recently-used entries by bytes, not by count', async () => {
    const cache = new PcmCache({ capacityBytes: 1000 });
    await cache.get('a', async () => pcm('a', 400));
    await cache.get('b', async () => pcm('b', 400));
    await cache.get('a', async () => pcm('a', 400)); // touch a: b is now the LRU
    await cache.get('c', async () => pcm('c', 400)); // 1200 > 1000: evict b
    expect(cache.peek('a')).toBeDefined();
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('c')).toBeDefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 800, evictions: 1 });
    await cache.get('d', async () => pcm('d', 1000)); // needs everything
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 1000, evictions: 3 });
    expect(cache.stats().bytes).toBeLessThanOrEqual(cache.capacityBytes);
  });

  it('returns an item larger than the capacity without retaining it', async () => {
    const cache = new PcmCache({ capacityBytes: 1000 });
    await cache.get('small', async () => pcm('small', 400));
    const big = await cache.get('big', async () => pcm('big', 4000));
    expect(big.channels[0].byteLength).toBe(4000);
    expect(cache.peek('big')).toBeUndefined();
    expect(cache.peek('small')).toBeDefined(); // not evicted for nothing
    expect(cache.stats()).toMatchObject({ oversize: 1, bytes: 400 });
  });

  it('does not cache failures: the next request loads again', async () => {
    const cache = new PcmCache({ capacityBytes: 1000 });
    let n = 0;
    const load = async () => {
      n++;
      if (n === 1) throw new Error('boom');
      return pcm('x', 4);
    };
    const [a, b] = await Promise.allSettled([cache.get('x', load), cache.get('x', load)]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected'); // the joined request sees the same failure
    expect(n).toBe(1);
    await expect(cache.get('x', load)).resolves.toBeDefined();
    expect(n).toBe(2);
  });

  it('validates its capacity', () => {
    expect(() => new PcmCache({ capacityBytes: -1 })).toThrow(/capacityBytes/);
    expect(() => new PcmCache({ capacityBytes: Infinity })).toThrow(/capacityBytes/);
    expect(() => new PcmCache({} as { capacityBytes: number })).toThrow(/capacityBytes/);
  });
});

describe('decodeToShared', () => {
  const frames = 4000;
  const l = new Float32Array(frames).map((_, i) => Math.sin(i / 9) * 0.5);
  const r = new Float32Array(frames).map((_, i) => Math.cos(i / 9) * 0.5);
  const path = join(dir, 't.wav');
  const bytes = encodeWav([l, r], 16000);
  writeFileSync(path, bytes);

  it('decodes into SharedArrayBuffers and checks the hash', async () => {
    const { pcm: p, decoder } = await decodeToShared(path, sha256Bytes(bytes));
    expect(decoder).toBe('audio-decode');
    expect(p.sha256).toBe(sha256Bytes(bytes));
    expect(p.sampleRate).toBe(16000);
    expect(p.length).toBe(frames);
    expect(p.channels.every((c) => c instanceof SharedArrayBuffer)).toBe(true);
    const [vl, vr] = pcmViews(p);
    expect(vl[100]).toBeCloseTo(l[100], 4);
    expect(vr[100]).toBeCloseTo(r[100], 4);
    expect(p.pcm16).toBeUndefined(); // only on request: probes and analyses do not need it
    expect(pcmBytes(p)).toBe(frames * 4 * 2);
  });

  it('with pcm16: the interleaved 16-bit copy of the WAV it was decoded from, counted in the entry size', async () => {
    const { pcm: p } = await decodeToShared(path, sha256Bytes(bytes), undefined, { pcm16: true });
    expect(p.pcm16).toBeInstanceOf(SharedArrayBuffer);
    // Our 16-bit WAV read back as float and encoded again gives the same integers: the file's data chunk.
    expect(Buffer.from(p.pcm16!).equals(Buffer.from(bytes.subarray(44)))).toBe(true);
    expect(pcmBytes(p)).toBe(frames * (4 + 2) * 2);
  });

  it('refuses a file whose content no longer matches the registered sha256', async () => {
    await expect(decodeToShared(path, '0'.repeat(64))).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/differs from the registered/) });
  });
});
