import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisPool, analyzePcm, toSharedChannels, type AnalysisResult } from '../src/analysis/index.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { HarmonizerError } from '../src/shared/errors.js';
import { ensureCompiled } from './support/compiled.js';


const strip = (r: AnalysisResult) => ({ ...r, timings_ms: undefined });

describe('AnalysisPool (real worker threads)', () => {
  let pool: AnalysisPool;
  const track = drumTrack(128, 20);

  beforeAll(() => {
    ensureCompiled('analysis');
    pool = new AnalysisPool({ maxThreads: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('analyzes shared PCM in a worker with the same result as in-process, sharing concurrent requests', async () => {
    const task = { channels: toSharedChannels(track.channels), sampleRate: track.sampleRate };
    const p1 = pool.analyze('track-1', task);
    const p2 = pool.analyze('track-1', task);
    expect(p2).toBe(p1); // one computation for the same key
    expect(pool.inflight).toBe(1);
    const p3 = pool.analyze('track-1b', { ...task, options: { maxCandidates: 1 } });
    expect(pool.inflight).toBe(2);
    const [r1, r3] = await Promise.all([p1, p3]);
    expect(pool.inflight).toBe(0);
    expect(r1.status).toBe('ok');
    expect(Math.abs(r1.track.tempo - 128)).toBeLessThan(2.56);
    expect(strip(r1)).toEqual(strip(analyzePcm(track)));
    expect(r3.candidates.every((l) => l.filter((c) => !c.forced).length <= 1)).toBe(true);
  });

  it('rejects bad options with INVALID_ARGUMENT before dispatch, and bad channel data', async () => {
    const task = { channels: toSharedChannels(track.channels), sampleRate: track.sampleRate, options: { minSpan: 0 } };
    await expect(pool.analyze('bad', task)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/minSpan/) });
    await expect(pool.analyze('bad2', { channels: [], sampleRate: 44100 })).rejects.toBeInstanceOf(HarmonizerError);
    // Invalid sample rate is caught inside the worker; its code survives the thread boundary.
    await expect(pool.analyze('bad3', { channels: toSharedChannels([new Float32Array(10)]), sampleRate: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/sampleRate/),
    });
    await expect(pool.analyze('', { channels: [], sampleRate: 44100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('validates its own options', () => {
    expect(() => new AnalysisPool({ maxThreads: 0 })).toThrow(/maxThreads/);
  });
});
