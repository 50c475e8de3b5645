import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_TRACK_ID, DEMO_TRACK_TITLE, ensureDemoTrack } from '../src/demo/ensure.js';
import { AnalysisService } from '../src/analysis/service.js';
import { openStore, type StoreApi } from '../src/store/index.js';
import { dataPaths, type Config } from '../src/shared/config.js';
import { tempDir, testConfig } from './support/env.js';
import { ensureCompiled } from './support/compiled.js';


describe('ensureDemoTrack', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  let store: StoreApi;

  beforeAll(() => ensureCompiled('analysis'));
  beforeEach(async () => {
    tmp = tempDir();
    config = testConfig(tmp.dir);
    store = await openStore(config);
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('registers the generated demo once (concurrent callers share it), is a no-op when present, regenerates a missing file identically', async () => {
    const [a, b] = await Promise.all([ensureDemoTrack(store, config), ensureDemoTrack(store, config)]);
    expect(b).toBe(a);
    expect(a).toMatchObject({ track_id: DEMO_TRACK_ID, title: DEMO_TRACK_TITLE, sample_rate: 44100, channels: 2, path: join(tmp.dir, 'tracks', 'demo.wav') });
    expect(a.duration).toBeGreaterThan(140);
    expect(a.duration).toBeLessThan(170);
    expect(readdirSync(join(tmp.dir, 'tracks'))).toEqual(['demo.wav']);
    expect(await store.tracks.list()).toHaveLength(1);
    const mtime = statSync(a.path).mtimeMs;

    const again = await ensureDemoTrack(store, config);
    expect(again).toEqual(a); // same row, same added_at: nothing was regenerated
    expect(statSync(a.path).mtimeMs).toBe(mtime);

    rmSync(a.path);
    const fresh = await ensureDemoTrack(store, config);
    expect(existsSync(fresh.path)).toBe(true);
    expect(fresh.sha256).toBe(a.sha256); // deterministic bytes
    expect(await store.tracks.list()).toHaveLength(1);
  });

  it('the demo analysis is ok at 120 BPM in 4/4 with sections and jump candidates', async () => {
    const demo = await ensureDemoTrack(store, config);
    const service = AnalysisService.fromConfig(config, { threads: 1 });
    try {
      const r = await service.get(demo);
      expect(r.status).toBe('ok');
      expect(Math.abs(r.track.tempo - 120)).toBeLessThan(2.4);
      expect(r.track.meter).toBe(4);
      expect(r.sections.length).toBeGreaterThanOrEqual(3);
      const withJumps = r.candidates.filter((l) => l.length > 0).length;
      expect(withJumps).toBeGreaterThanOrEqual(r.beats.length / 6);
      expect(r.track.last_branch_beat).toBeGreaterThan(0);
      expect(service.status(demo)).toBe('ready');
    } finally {
      await service.close();
    }
  });
});
