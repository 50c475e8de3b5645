import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { AnalysisService } from '../src/analysis/service.js';
import { AnalysisCache } from '../src/analysis/cache.js';
import { ANALYSIS_VERSION } from '../src/analysis/index.js';
import { registerTrackBytes, trackRoutes } from '../src/tracks/index.js';
import { PcmCache, encodeWav } from '../src/render/index.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { openStore, type StoreApi, type TrackRow } from '../src/store/index.js';
import { dataPaths, type Config } from '../src/shared/config.js';
import { tempDir, testConfig } from './support/env.js';
import { ensureCompiled } from './support/compiled.js';


const DRUMS = (() => {
  const t = drumTrack(120, 20, 22050);
  return encodeWav([t.channels[0]!], t.sampleRate);
})();
const SILENCE = encodeWav([new Float32Array(3 * 22050)], 22050);

describe('AnalysisService: cache, de-duplication, restart (real workers)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  let store: StoreApi;
  let service: AnalysisService | undefined;
  let server: RunningServer | undefined;
  const register = (bytes: Uint8Array, id: string) => registerTrackBytes(store, dataPaths(config).tracks, bytes, { id, title: id, ext: '.wav' });
  const start = async () => {
    service = AnalysisService.fromConfig(config, { threads: 2 });
    const s = service;
    server = await startServer(config, { inlineWriter: true, extraRoutes: (deps) => trackRoutes({ config, store: deps.store, analysis: s }) });
    return { service: s, server };
  };
  const stop = async () => {
    await server?.close();
    await service?.close();
    server = service = undefined;
  };

  beforeAll(() => ensureCompiled('analysis'));
  beforeEach(async () => {
    tmp = tempDir();
    config = testConfig(tmp.dir);
    store = await openStore(config);
  });
  afterEach(async () => {
    await stop();
    await store.close();
    tmp.cleanup();
  });

  it('5 concurrent GET /analysis share one decode and one computation; the cache file serves later ones, also after a restart', async () => {
    const track = await register(DRUMS, 'drums');
    const { service: s1, server: srv } = await start();
    const get = () => fetch(`${srv.url}/api/tracks/drums/analysis`);
    const responses = await Promise.all(Array.from({ length: 5 }, get));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    const result = JSON.parse(bodies[0]!);
    expect(result).toMatchObject({ version: ANALYSIS_VERSION, status: 'ok' });
    expect(Math.abs(result.track.tempo - 120)).toBeLessThan(2.4);
    expect(s1.stats()).toMatchObject({ requests: 5, computed: 1, decodes: 1, joined: 4, cacheHits: 0, failures: 0 });

    const file = new AnalysisCache(dataPaths(config).analysis).path(track.sha256);
    expect(file).toBe(join(tmp.dir, 'analysis', `${track.sha256}.v${ANALYSIS_VERSION}.json`));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(result);
    expect(readdirSync(join(tmp.dir, 'analysis'))).toEqual([`${track.sha256}.v${ANALYSIS_VERSION}.json`]); // no temp files
    const mtime = statSync(file).mtimeMs;

    const list = await (await fetch(`${srv.url}/api/tracks`)).json();
    expect(list.tracks[0]).toMatchObject({ id: 'drums', analysis: 'ready' });
    const again = await get();
    const etag = again.headers.get('etag')!;
    expect(etag).toBe(`"${track.sha256}-v${ANALYSIS_VERSION}"`);
    expect(await again.json()).toEqual(result);
    expect((await fetch(`${srv.url}/api/tracks/drums/analysis`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect(s1.stats()).toMatchObject({ computed: 1, cacheHits: 1 });

    await stop();
    const { service: s2, server: srv2 } = await start();
    const r = await fetch(`${srv2.url}/api/tracks/drums/analysis`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(result);
    expect(s2.stats()).toMatchObject({ computed: 0, decodes: 0, cacheHits: 1 });
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('a corrupt or foreign cache file is recomputed and replaced', async () => {
    const track = await register(DRUMS, 'drums');
    const cache = new AnalysisCache(dataPaths(config).analysis);
    service = new AnalysisService({ cacheDir: cache.dir, threads: 1 });
    const first = await service.get(track);
    for (const junk of ['{"version": 1, "status": "ok", "be', JSON.stringify({ ...first, version: 999 }), JSON.stringify({ ...first, candidates: [] })]) {
      writeFileSync(cache.path(track.sha256), junk);
      const before = service.stats().computed;
      const r = await service.get(track);
      expect({ ...r, timings_ms: null }).toEqual({ ...first, timings_ms: null });
      expect(service.stats().computed).toBe(before + 1);
      expect(JSON.parse(readFileSync(cache.path(track.sha256), 'utf8')).version).toBe(ANALYSIS_VERSION);
    }
  });

  it('a "no beats" track answers 200 with its no_beats result (cached like any other)', async () => {
    const track = await register(SILENCE, 'silence');
    const { service: s, server: srv } = await start();
    const r = await fetch(`${srv.url}/api/tracks/silence/analysis`);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ status: 'no_beats', beats: [], candidates: [], warning: expect.any(String) });
    expect(s.status(track)).toBe('ready');
  });

  it('with a shared PcmCache, analyses with different options decode the track once', async () => {
    const track = await register(DRUMS, 'drums');
    const pcm = new PcmCache({ capacityBytes: 64 * 1024 * 1024 });
    service = new AnalysisService({ cacheDir: dataPaths(config).analysis, threads: 1, pcmCache: pcm });
    await service.get(track);
    await service.get(track, { maxCandidates: 2 });
    expect(service.stats()).toMatchObject({ computed: 2, decodes: 1 });
    expect(pcm.stats()).toMatchObject({ loads: 1, hits: 1 });
  });

  it('options: validated by name, computed but not cached, concurrent identical requests shared; missing audio is 404', async () => {
    const track = await register(DRUMS, 'drums');
    service = new AnalysisService({ cacheDir: dataPaths(config).analysis, threads: 1 });
    await expect(service.get(track, { maxCandidates: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/maxCandidates/) });
    await expect(service.get({ sha256: 'nothex', path: track.path })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const [a, b] = await Promise.all([service.analyze(track, { maxCandidates: 1 }), service.analyze(track, { maxCandidates: 1 })]);
    expect(a).toBe(b);
    expect(a.cached).toBe(false);
    expect(a.result.candidates.every((l) => l.filter((c) => !c.forced).length <= 1)).toBe(true);
    expect(service.stats()).toMatchObject({ computed: 1, joined: 1 });
    expect(service.status(track)).toBe('none'); // option results are not cached
    expect(existsSync(join(tmp.dir, 'analysis'))).toBe(false);

    const gone: TrackRow = { ...track, path: join(tmp.dir, 'missing.wav') };
    await expect(service.get(gone)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/audio file of track drums/) });
    expect(service.status(gone)).toBe('failed');
    expect(service.lastError(gone)).toMatch(/not found/);

    // A file changed behind the registration: its bytes no longer match the sha256 the cache is keyed by.
    writeFileSync(track.path, SILENCE);
    await expect(service.get(track)).rejects.toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/differs from the registered/) });
    rmSync(track.path);
    await service.close();
    await expect(service.get(track)).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(() => new AnalysisService({ cacheDir: '', threads: 1 })).toThrow(/dir/);
    expect(() => new AnalysisService({ cacheDir: 'x', threads: 0 })).toThrow(/threads must be/);
  });
});
