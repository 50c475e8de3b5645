/**
 * The real Piscina pool over the compiled worker (dist/src/render/worker.js), rendering to real files.
 * Compiles with tsc first when the compiled worker is missing or older than the sources.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Bytes } from '../src/render/decode.js';
import { PcmCache, pcmViews } from '../src/render/pcm-cache.js';
import { RenderPool, SnippetRenderer, type TrackRef } from '../src/render/pool.js';
import { planSplice, renderSplice } from '../src/render/splice.js';
import { encodeWav, readWav } from '../src/render/wav.js';
import { ensureCompiled } from './support/compiled.js';

const SR = 44100;
const DUR = 10;
const LEN = SR * DUR;


const dir = mkdtempSync(join(tmpdir(), 'render-pool-test-'));
const outDir = join(dir, 'snippets');
let track: TrackRef;
let channels: Float32Array[];
let pool: RenderPool;
let cache: PcmCache;
let renderer: SnippetRenderer;

beforeAll(() => {
  ensureCompiled('render');
  // 440 Hz (left) / 220 Hz (right) for the first half, 660 / 330 Hz for the second.
  const l = new Float32Array(LEN);
  const r = new Float32Array(LEN);
  for (let i = 0; i < LEN; i++) {
    const f = i < LEN / 2 ? 440 : 660;
    l[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / SR);
    r[i] = 0.5 * Math.sin((2 * Math.PI * (f / 2) * i) / SR);
  }
  const bytes = encodeWav([l, r], SR);
  channels = readWav(bytes).channels; // what the decoder will see (16-bit quantised)
  const path = join(dir, 'track.wav');
  writeFileSync(path, bytes);
  track = { path, sha256: sha256Bytes(bytes) };
  pool = new RenderPool({ maxThreads: 2 });
  cache = new PcmCache({ capacityBytes: 64 << 20 });
  renderer = new SnippetRenderer({ pool, cache, outDir, crossfadeMs: 30 });
});

afterAll(async () => {
  await pool?.close({ timeoutMs: 5000 });
  rmSync(dir, { recursive: true, force: true });
});

const files = () => readdirSync(outDir).sort();

describe('RenderPool + SnippetRenderer (real workers, real files)', () => {
  it('renders a jump snippet to <event_id>.wav, sample-identical to the in-process splice', async () => {
    const spec = { event_id: 'evt_1', sourceTime: 3, targetTime: 7, pre: 2, post: 3 };
    const res = await renderer.render(track, spec);
    expect(res.path).toBe(join(outDir, 'evt_1.wav'));
    expect(res.kind).toBe('jump');
    expect(res.durationS).toBe(5);
    expect(res.spliceOffsetS).toBe(2);
    expect(res.fadeS).toBeCloseTo(0.03, 4);
    expect(res.renderMs).toBeGreaterThan(0);
    const file = readFileSync(res.path);
    expect(res.bytes).toBe(file.length);
    const got = readWav(file);
    expect(got.sampleRate).toBe(SR);
    expect(got.channels.length).toBe(2);
    // Expected: the same plan rendered in this thread from the very PCM the worker read (the shared
    // cache entry), then encoded: the worker's file must be bit-identical.
    const shared = pcmViews(await renderer.pcm(track));
    const plan = planSplice({ ...spec, crossfadeMs: 30, sampleRate: SR, length: LEN });
    const want = shared.map(() => new Float32Array(plan.totalSamples));
    renderSplice(shared, plan, want);
    const wantWav = readWav(encodeWav(want, SR));
    for (let c = 0; c < 2; c++) expect(Buffer.from(got.channels[c].buffer).equals(Buffer.from(wantWav.channels[c].buffer))).toBe(true);
    expect(files()).toEqual(['evt_1.wav']); // no temp files left behind
    // Gain-1 segments copied from the track's 16-bit copy (pcm16) or converted from the float channels:
    // the same bytes.
    const pcm = await renderer.pcm(track);
    expect(pcm.pcm16).toBeInstanceOf(SharedArrayBuffer);
    const { pcm16: _dropped, ...floatOnly } = pcm;
    const viaFloat = await pool.render({ ...spec, event_id: 'evt_1f', kind: 'jump', crossfadeMs: 30, pcm: floatOnly, outDir });
    expect(viaFloat.path).toBe(join(outDir, 'evt_1f.wav'));
    expect(readFileSync(viaFloat.path).equals(file)).toBe(true);
    rmSync(viaFloat.path);
  });

  it('renders the reference clip to <event_id>.ref.wav', async () => {
    const res = await renderer.render(track, { event_id: 'evt_1', kind: 'reference', sourceTime: 3, targetTime: 7, pre: 2, post: 3 });
    expect(res.path).toBe(join(outDir, 'evt_1.ref.wav'));
    expect(res.durationS).toBe(5);
    const got = readWav(readFileSync(res.path));
    expect(got.channels[0][0]).toBeCloseTo(channels[0][1 * SR], 4);
    expect(got.channels[0][4 * SR]).toBeCloseTo(channels[0][5 * SR], 4);
  });

  it('the same event rendered twice (even concurrently) leaves one file and no temp files', async () => {
    const spec = { event_id: 'evt_twice', sourceTime: 1, targetTime: 8, pre: 1, post: 1 };
    const [a, b] = await Promise.all([renderer.render(track, spec), renderer.render(track, spec)]);
    await renderer.render(track, spec);
    expect(a.path).toBe(b.path);
    expect(files().filter((f) => f.startsWith('evt_twice'))).toEqual(['evt_twice.wav']);
    expect(files().some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('decodes a track once for many concurrent snippets', async () => {
    const fresh = new PcmCache({ capacityBytes: 64 << 20 });
    const r2 = new SnippetRenderer({ pool, cache: fresh, outDir, crossfadeMs: 30 });
    const jobs = Array.from({ length: 12 }, (_, i) => r2.render(track, { event_id: `many_${i}`, sourceTime: 2 + i * 0.25, targetTime: 6, pre: 1, post: 1 }));
    const res = await Promise.all(jobs);
    expect(res.length).toBe(12);
    // Float channels (4 bytes a sample) and the 16-bit copy (2 bytes) of both channels.
    expect(fresh.stats()).toMatchObject({ loads: 1, entries: 1, bytes: LEN * (4 + 2) * 2 });
  });

  it('an event whose times lie outside the track fails with RENDER_FAILED and a clear reason', async () => {
    await expect(renderer.render(track, { event_id: 'late', sourceTime: 12, targetTime: 1, pre: 2, post: 3 })).rejects.toMatchObject({
      code: 'RENDER_FAILED',
      message: expect.stringMatching(/event late: sourceTime 12s lies outside the track \(0–10\.000s\)/),
    });
    await expect(renderer.render(track, { event_id: 'neg', sourceTime: 3, targetTime: -0.5, pre: 2, post: 3 })).rejects.toMatchObject({
      code: 'RENDER_FAILED',
      message: expect.stringMatching(/targetTime -0.5s lies outside the track/),
    });
    expect(files().some((f) => f.startsWith('late') || f.startsWith('neg'))).toBe(false);
  });

  it('rejects unsafe event ids and bad options with INVALID_ARGUMENT naming the field', async () => {
    for (const id of ['../escape', 'a/b', '', 'x'.repeat(65), 'dot.dot']) {
      await expect(renderer.render(track, { event_id: id, sourceTime: 3, targetTime: 7, pre: 2, post: 3 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/event_id/),
      });
    }
    await expect(renderer.render(track, { event_id: 'ok', sourceTime: NaN, targetTime: 7, pre: 2, post: 3 })).rejects.toMatchObject({ message: expect.stringMatching(/sourceTime/) });
    await expect(renderer.render(track, { event_id: 'ok', sourceTime: 3, targetTime: 7, pre: -1, post: 3 })).rejects.toMatchObject({ message: expect.stringMatching(/pre/) });
    await expect(renderer.render(track, { event_id: 'ok', sourceTime: 3, targetTime: 7, pre: 2, post: 3, crossfadeMs: 5000 })).rejects.toMatchObject({ message: expect.stringMatching(/crossfadeMs/) });
    await expect(renderer.render({ path: track.path, sha256: 'nothex' }, { event_id: 'ok', sourceTime: 3, targetTime: 7, pre: 2, post: 3 })).rejects.toMatchObject({ message: expect.stringMatching(/sha256/) });
    expect(() => new RenderPool({ maxThreads: 0 })).toThrow(/maxThreads/);
    expect(() => new SnippetRenderer({ pool, cache, outDir, crossfadeMs: -1 })).toThrow(/crossfadeMs/);
    expect(readdirSync(dir).sort()).toEqual(['snippets', 'track.wav']);
  });

  it('a corrupt track fails its snippets with DECODE_FAILED; the pool carries on', async () => {
    const bad = join(dir, 'corrupt.ogg');
    const junk = Buffer.alloc(2048, 7);
    writeFileSync(bad, junk);
    const badTrack = { path: bad, sha256: sha256Bytes(junk) };
    await expect(renderer.render(badTrack, { event_id: 'c1', sourceTime: 1, targetTime: 2, pre: 1, post: 1 })).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringMatching(/corrupt\.ogg: audio-decode: .*; ffmpeg: /),
    });
    // The failure is remembered: another snippet of the corrupt track fails at once, without a decode.
    const loads = cache.stats().loads;
    await expect(renderer.render(badTrack, { event_id: 'c1b', sourceTime: 3, targetTime: 4, pre: 1, post: 1 })).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringMatching(/corrupt\.ogg/),
    });
    expect(cache.stats().loads).toBe(loads);
    // A file changed on disk since registration is refused too.
    await expect(renderer.render({ path: track.path, sha256: 'f'.repeat(64) }, { event_id: 'c2', sourceTime: 1, targetTime: 2, pre: 1, post: 1 })).rejects.toMatchObject({
      code: 'DECODE_FAILED',
    });
    const ok = await renderer.render(track, { event_id: 'after_failure', sourceTime: 1, targetTime: 2, pre: 1, post: 1 });
    expect(existsSync(ok.path)).toBe(true);
  });

  it('a worker that dies fails its task with RENDER_FAILED instead of hanging', async () => {
    const dying = join(dir, 'dying-worker.mjs');
    writeFileSync(dying, 'export default function () { process.exit(3); }\n');
    const p = new RenderPool({ maxThreads: 1, filename: dying });
    try {
      const pcm = await renderer.pcm(track);
      // Several at once: tasks queued ahead on the dying worker must fail too, not hang.
      const all = await Promise.allSettled(
        ['dead', 'dead2', 'dead3'].map((id) => p.render({ event_id: id, kind: 'jump', sourceTime: 1, targetTime: 2, pre: 1, post: 1, crossfadeMs: 30, pcm, outDir })),
      );
      for (const [i, r] of all.entries()) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: 'RENDER_FAILED',
          message: expect.stringMatching(new RegExp(`render of event ${['dead', 'dead2', 'dead3'][i]}: render worker failed`)),
        });
      }
    } finally {
      await p.close({ timeoutMs: 2000 });
    }
    await expect(
      p.render({ event_id: 'closed', kind: 'jump', sourceTime: 1, targetTime: 2, pre: 1, post: 1, crossfadeMs: 30, pcm: await renderer.pcm(track), outDir }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/closed/) });
  });
});
