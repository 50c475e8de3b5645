import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { AnalysisService } from '../src/analysis/service.js';
import { registerTrackBytes, trackRoutes } from '../src/tracks/index.js';
import { Store, openStore, sqliteApi, type StoreApi } from '../src/store/index.js';
import { encodeWav, sha256Bytes } from '../src/render/index.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { dataPaths, type Config } from '../src/shared/config.js';
import { tempDir, testConfig } from './support/env.js';
import { ensureCompiled } from './support/compiled.js';


/** 20 s of drums, mono 22.05 kHz: ~880 KB, under the 1 MB upload limit of these tests. */
const DRUMS = (() => {
  const t = drumTrack(120, 20, 22050);
  return encodeWav([t.channels[0]!], t.sampleRate);
})();

/** DRUMS with one sample changed: other content, so uploads of it are not deduplicated. */
const variant = (n: number): Uint8Array => {
  const b = Uint8Array.from(DRUMS);
  b[b.length - 2] = n & 0xff;
  b[b.length - 1] = 1 + ((n >> 8) & 0x7f);
  return b;
};

describe('tracks API over HTTP (real server, files, workers)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  let server: RunningServer;
  let analysis: AnalysisService;
  /** Writable (uploads register through it); the ingest server's own SQLite store is read-only. */
  let rw: StoreApi;
  const url = (p: string) => `${server.url}${p}`;
  const upload = (body: Uint8Array | string, headers: Record<string, string>, query = '') =>
    fetch(url(`/api/tracks${query}`), { method: 'POST', body: body as BodyInit, headers });
  const leftovers = () => (existsSync(dataPaths(config).tracks) ? readdirSync(dataPaths(config).tracks).filter((f) => f.includes('.tmp')) : []);

  beforeAll(() => ensureCompiled('analysis'));
  beforeEach(async () => {
    tmp = tempDir();
    config = testConfig(tmp.dir, { RL_UPLOAD_MAX_MB: '1' });
    analysis = AnalysisService.fromConfig(config, { threads: 1 });
    rw = await openStore(config);
    server = await startServer(config, { inlineWriter: true, extraRoutes: () => trackRoutes({ config, store: rw, analysis }) });
  });
  afterEach(async () => {
    await server.close();
    await rw.close();
    await analysis.close();
    tmp.cleanup();
  });

  it('raw upload: 201 with the track, then listed; derived ids get a suffix, explicit ids conflict (409)', async () => {
    expect(await (await fetch(url('/api/tracks'))).json()).toEqual({ tracks: [] });

    const r = await upload(DRUMS, { 'content-type': 'audio/wav', 'x-filename': 'Drum%20Loop.wav' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/api/tracks/drum-loop');
    const t = await r.json();
    expect(t).toMatchObject({ id: 'drum-loop', title: 'Drum Loop', sample_rate: 22050, channels: 1, analysis: 'none', audio_url: '/api/tracks/drum-loop/audio' });
    expect(t.duration).toBeCloseTo(20, 2);
    expect(t).not.toHaveProperty('path'); // no server paths in the API

    const list = await (await fetch(url('/api/tracks'))).json();
    expect(list.tracks.map((x: { id: string }) => x.id)).toEqual(['drum-loop']);
    expect(await (await fetch(url('/api/tracks/drum-loop'))).json()).toEqual(t);
    expect(readFileSync(join(dataPaths(config).tracks, 'drum-loop.wav')).equals(DRUMS)).toBe(true);

    const again = await upload(variant(1), { 'content-type': 'application/octet-stream', 'x-filename': 'drum loop.wav' }, '?title=Second');
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ id: 'drum-loop-2', title: 'Second' });

    const titled = await upload(variant(2), { 'content-type': 'audio/wav' }, '?title=My%20Song%20v1.2');
    expect(await titled.json()).toMatchObject({ id: 'my-song-v1-2', title: 'My Song v1.2' });

    const clash = await upload(variant(3), { 'content-type': 'audio/wav' }, '?id=drum-loop');
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({ code: 'CONFLICT', error: expect.stringMatching(/drum-loop" already exists/) });
    const badId = await upload(DRUMS, { 'content-type': 'audio/wav' }, '?id=no%20spaces');
    expect(badId.status).toBe(400);
    expect((await badId.json()).error).toMatch(/^id must be/);
    expect((await (await fetch(url('/api/tracks'))).json()).tracks).toHaveLength(3);
  });

  it('multipart upload: one file part plus title and id fields', async () => {
    const form = new FormData();
    form.set('title', 'Groove ♪');
    form.set('id', 'groove');
    form.set('file', new Blob([new Uint8Array(DRUMS)], { type: 'audio/wav' }), 'whatever.wav');
    const r = await fetch(url('/api/tracks'), { method: 'POST', body: form });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ id: 'groove', title: 'Groove ♪', channels: 1 });
    const audio = await fetch(url('/api/tracks/groove/audio'));
    expect(Buffer.from(await audio.arrayBuffer()).equals(DRUMS)).toBe(true);

    const none = new FormData();
    none.set('title', 'no file');
    const bad = await fetch(url('/api/tracks'), { method: 'POST', body: none });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/exactly one file part/);
  });

  it('413 above RL_UPLOAD_MAX_MB (raw and multipart); nothing registered or left behind', async () => {
    const big = new Uint8Array(1.5 * 1024 * 1024);
    big.set(DRUMS.subarray(0, 44));
    const r = await upload(big, { 'content-type': 'audio/wav' });
    expect(r.status).toBe(413);
    expect((await r.json()).code).toBe('PAYLOAD_TOO_LARGE');
    // Between the file limit and the route's body limit (which leaves room for the multipart envelope).
    const justOver = new Uint8Array(1024 * 1024 + 10);
    const form = new FormData();
    form.set('file', new Blob([justOver as Uint8Array<ArrayBuffer>]), 'x.wav');
    const r2 = await fetch(url('/api/tracks'), { method: 'POST', body: form });
    expect(r2.status).toBe(413);
    expect((await r2.json()).error).toMatch(/RL_UPLOAD_MAX_MB \(1 MB\)/);
    expect((await (await fetch(url('/api/tracks'))).json()).tracks).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('415 for an undecodable file, with the decoder reason naming the upload; 415 for a non-audio type', async () => {
    const r = await upload('this is a text file, not audio', { 'content-type': 'application/octet-stream', 'x-filename': 'notes.txt' });
    expect(r.status).toBe(415);
    const body = await r.json();
    expect(body.code).toBe('UNSUPPORTED_MEDIA');
    expect(body.error).toMatch(/cannot decode "notes\.txt": ffmpeg: .+/);
    expect(body.error).not.toContain(tmp.dir); // no temp paths leak
    const typed = await upload('x', { 'content-type': 'text/plain' });
    expect(typed.status).toBe(415);
    expect((await typed.json()).error).toMatch(/Content-Type must be audio/);
    expect((await (await fetch(url('/api/tracks'))).json()).tracks).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('audio: whole file, Range 206, suffix range, 416, HEAD; 404 for unknown tracks', async () => {
    expect((await upload(DRUMS, { 'content-type': 'audio/wav' }, '?id=d')).status).toBe(201);
    const size = DRUMS.byteLength;
    const whole = await fetch(url('/api/tracks/d/audio'));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect((await whole.arrayBuffer()).byteLength).toBe(size);

    const part = await fetch(url('/api/tracks/d/audio'), { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(DRUMS.subarray(100, 200))).toBe(true);
    const tail = await fetch(url('/api/tracks/d/audio'), { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(DRUMS.subarray(size - 10))).toBe(true);

    const outside = await fetch(url('/api/tracks/d/audio'), { headers: { range: `bytes=${size}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${size}`);
    const head = await fetch(url('/api/tracks/d/audio'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));

    for (const p of ['/api/tracks/nope', '/api/tracks/nope/audio', '/api/tracks/nope/analysis', '/api/tracks/..%2Fx/audio']) {
      const r = await fetch(url(p));
      expect(r.status, p).toBe(404);
      expect((await r.json()).code).toBe('NOT_FOUND');
    }
  });
});

describe('registerTrackBytes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('uses a given probe (e.g. a worker-backed decoder) and names the input by its label on failure', async () => {
    const dir = join(tmp.dir, 'tracks');
    const seen: string[] = [];
    const api = sqliteApi(store, 'tracks');
    const row = await registerTrackBytes(api, dir, DRUMS, {
      id: 'p',
      title: 'P',
      ext: '.WAV',
      probe: async (file) => {
        seen.push(file);
        return { sampleRate: 22050, duration: 20, channels: 1 };
      },
    });
    expect(seen).toHaveLength(1);
    expect(row).toMatchObject({ track_id: 'p', path: join(dir, 'p.wav'), duration: 20 });
    expect(store.tracks.get('p')).toEqual(row);
    await expect(registerTrackBytes(api, dir, new TextEncoder().encode('nope'), { id: 'q', title: 'Q', ext: '.exe', label: '"q.exe"' })).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringMatching(/^cannot decode "q\.exe": /),
    });
    await expect(registerTrackBytes(api, dir, new Uint8Array(0), { id: 'q', title: 'Q', ext: '.wav' })).rejects.toMatchObject({ code: 'DECODE_FAILED' });
    await expect(registerTrackBytes(api, dir, DRUMS, { id: 'bad id', title: 'Q', ext: '.wav' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(readdirSync(dir)).toEqual(['p.wav']);
  });

  it('two registrations of one new id at once through two store handles (two processes): one wins, the other gets CONFLICT, the file holds the winner\'s bytes', async () => {
    const dir = join(tmp.dir, 'tracks');
    const other = Store.open(join(tmp.dir, 'rl.sqlite3'));
    try {
      const a = encodeWav([drumTrack(100, 8, 22050).channels[0]!], 22050);
      const b = encodeWav([drumTrack(140, 8, 22050).channels[0]!], 22050);
      for (let round = 0; round < 5; round++) {
        const id = `race${round}`;
        const results = await Promise.allSettled([
          registerTrackBytes(sqliteApi(store, 'a'), dir, a, { id, title: 'A', ext: '.wav' }),
          registerTrackBytes(sqliteApi(other, 'b'), dir, b, { id, title: 'B', ext: '.wav' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(new RegExp(`^track "${id}" (already exists|is being registered by another upload); choose another id$`)) });
        const row = store.tracks.get(id)!;
        expect(sha256Bytes(readFileSync(row.path))).toBe(row.sha256);
      }
      // Replacing still replaces (the demo track re-registers itself when its file is gone).
      const row = await registerTrackBytes(sqliteApi(store, 'a'), dir, b, { id: 'race0', title: 'B again', ext: '.wav', replace: true });
      expect(sha256Bytes(readFileSync(row.path))).toBe(sha256Bytes(b));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('.tmp.'))).toEqual([]);
    } finally {
      other.close();
    }
  });
});
