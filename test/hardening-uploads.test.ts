import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ffmpegPath, encodeWav } from '../src/render/index.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { declaredDuration } from '../src/tracks/probe.js';
import { spawnCli, tempDir } from './support/env.js';
import { memoryOf, stop } from './support/proc.js';


/** Stereo silence as FLAC written to a pipe: no duration in its header (ffmpeg: "Duration: N/A"). */
function silentFlac(seconds: number): Buffer {
  return execFileSync(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', String(seconds), '-c:a', 'flac', '-f', 'flac', 'pipe:1'],
    { maxBuffer: 64 << 20 },
  );
}

/** The FLAC with STREAMINFO's 36-bit total-samples field set: a header that declares `seconds` at 44.1 kHz. */
function declaring(flac: Buffer, seconds: number): Buffer {
  const b = Buffer.from(flac);
  const total = BigInt(Math.round(seconds * 44100));
  // fLaC (4) + block header (4) + min/max block (4) + min/max frame (6) = 18; then 20 bits rate, 3 channels, 5 bps.
  b[21] = (b[21]! & 0xf0) | Number((total >> 32n) & 0x0fn);
  b.writeUInt32BE(Number(total & 0xffffffffn), 22);
  return b;
}

const DRUMS = (() => {
  const t = drumTrack(120, 20, 22050);
  return encodeWav([t.channels[0]!], t.sampleRate);
})();

/**
 * Issue 14 items 1 and 4, in a child server process as users run it: a decompression bomb is refused
 * with 413 while it decodes (memory bounded), uploads are deduplicated by content, total track storage
 * is capped (507), and RL_UPLOAD_TOKEN protects uploads.
 */
describe('hostile uploads (real server process)', () => {
  const tmp = tempDir();
  let child: ChildProcess;
  let url: string;
  let undeclared: Buffer;
  const TOKEN = 'upload-secret-123';
  const post = (body: Uint8Array, headers: Record<string, string> = {}, query = '') =>
    fetch(`${url}/api/tracks${query}`, { method: 'POST', body: body as BodyInit, headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${TOKEN}`, ...headers } });
  const trackFiles = () => readdirSync(join(tmp.dir, 'tracks')).sort();

  beforeAll(async () => {
    undeclared = silentFlac(1800);
    const s = await spawnCli(
      ['serve'],
      { RL_DATA_DIR: tmp.dir, PORT: '0', HOST: '127.0.0.1', RL_UPLOAD_MAX_MB: '5', RL_UPLOAD_TOKEN: TOKEN, RL_TRACKS_MAX_GB: String(3 / 1024) },
      /listening on (http:\/\/\S+)/,
    );
    child = s.child;
    url = s.match[1]!;
  }, 60_000);

  afterAll(async () => {
    await stop(child);
    tmp.cleanup();
  });

  it('reads the duration a header declares', () => {
    expect(declaredDuration('  Duration: 01:30:00.02, start: 0.000000')).toBeCloseTo(5400.02, 2);
    expect(declaredDuration('  Duration: N/A, start: 0.000000')).toBeUndefined();
  });

  it('a decompression bomb (30 min of silence in 1 MB; one declaring 90 min) is 413 with the reason, RSS stays < 300 MB above idle', async () => {
    const idle = memoryOf(child.pid!);
    const t0 = performance.now();
    const r1 = await post(undeclared, { 'x-filename': 'silence.flac' });
    const undeclaredMs = performance.now() - t0;
    expect(r1.status).toBe(413);
    const b1 = await r1.json();
    expect(b1).toMatchObject({ code: 'AUDIO_TOO_LONG' });
    expect(b1.error).toMatch(/"silence\.flac" is longer than 20\.0 minutes; RL_UPLOAD_MAX_MINUTES allows 20\.0 minutes/);
    const t1 = performance.now();
    const r2 = await post(declaring(undeclared, 5400), { 'x-filename': 'ninety.flac' });
    const declaredMs = performance.now() - t1;
    expect(r2.status).toBe(413);
    expect((await r2.json()).error).toMatch(/"ninety\.flac" declares 90\.0 minutes of audio/);
    const after = memoryOf(child.pid!);
    expect(after.peak - idle.rss, `idle ${idle.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB`).toBeLessThan(300);
    expect(after.rss - idle.rss).toBeLessThan(300);
    // The declared one stops at its header; the other at the limit, not at its end.
    expect(declaredMs).toBeLessThan(undeclaredMs);
    console.log(`[uploads] idle ${idle.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB; refused in ${undeclaredMs.toFixed(0)} ms (counted to the limit) and ${declaredMs.toFixed(0)} ms (declared)`);
    expect(readdirSync(join(tmp.dir, 'tracks')).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 60_000);

  it('RL_UPLOAD_TOKEN: 401 without it or with another, accepted as Bearer or X-Upload-Token', async () => {
    const none = await fetch(`${url}/api/tracks`, { method: 'POST', body: DRUMS as BodyInit, headers: { 'content-type': 'audio/wav' } });
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatch(/upload token required/);
    expect((await post(DRUMS, { authorization: 'Bearer wrong-token-1' })).status).toBe(401);
    const viaHeader = await fetch(`${url}/api/tracks?id=drums`, { method: 'POST', body: DRUMS as BodyInit, headers: { 'content-type': 'audio/wav', 'x-upload-token': TOKEN } });
    expect(viaHeader.status).toBe(201);
  });

  const variant = (n: number) => {
    const b = Uint8Array.from(DRUMS);
    b[b.length - 1] = n;
    return b;
  };

  it('the same bytes again return the existing track (200, duplicate), concurrent copies of new bytes included; one file stored', async () => {
    const again = await post(DRUMS, { 'x-filename': 'copy.wav' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: 'drums', duplicate: true });
    // Five copies of bytes not stored yet, at once: one upload stores them, the others wait for it.
    const fresh = variant(3);
    const copies = await Promise.all(Array.from({ length: 5 }, () => post(fresh, {}, '?title=again')));
    expect(copies.map((c) => c.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = await Promise.all(copies.map(async (c) => (await c.json()).id as string));
    expect(new Set(ids).size).toBe(1);
    const list = await (await fetch(`${url}/api/tracks`)).json();
    expect(list.tracks.map((t: { id: string }) => t.id).sort()).toEqual(['again', 'drums']);
    expect(trackFiles()).toEqual(['again.wav', 'drums.wav']);
  });

  it('507 when the stored tracks and the uploads in flight would pass RL_TRACKS_MAX_GB; nothing left behind', async () => {
    // 3 MiB allowed, 1.68 MiB stored: of three different 0.84 MiB uploads at once, exactly one fits.
    const rs = await Promise.all([7, 8, 9].map((n) => post(variant(n), {}, `?id=more-${n}`)));
    expect(rs.map((r) => r.status).sort()).toEqual([201, 507, 507]);
    const full = rs.find((r) => r.status === 507)!;
    expect(await full.json()).toMatchObject({ code: 'INSUFFICIENT_STORAGE', error: expect.stringMatching(/RL_TRACKS_MAX_GB allows 3\.0 MB/) });
    expect(trackFiles().filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(trackFiles()).toHaveLength(3);
  });
});
