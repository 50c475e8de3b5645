/**
 * Which render failures are retried (src/render/failures.ts), on real errors: file-system errors from
 * real calls, a real undecodable file, and the real worker pool writing to a real folder that refuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarmonizerError, isHarmonizerError } from '../src/shared/errors.js';
import { decodeFile, sha256Bytes } from '../src/render/decode.js';
import { isTemporaryFailure, osErrorCode, retryDelayMs, RETRY_MAX_MS, temporaryCause } from '../src/render/failures.js';
import { PcmCache } from '../src/render/pcm-cache.js';
import { RenderPool, SnippetRenderer } from '../src/render/pool.js';
import { encodeWav } from '../src/render/wav.js';
import { ensureCompiled } from './support/compiled.js';
import { blockWrites } from './support/blocked-dir.js';
import { tempDir } from './support/env.js';

const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

describe('retryDelayMs', () => {
  it('doubles from 5 s and stays at 10 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(retryDelayMs)).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
    expect(retryDelayMs(1_000_000)).toBe(RETRY_MAX_MS);
  });
  it('refuses attempts that are not integers ≥ 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => retryDelayMs(bad)).toThrow(/attempts must be an integer ≥ 1/);
  });
});

describe('isTemporaryFailure', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('an OS error anywhere in the cause chain is temporary; its code is found', () => {
    let fsErr: unknown;
    try {
      writeFileSync(join(t.dir, 'no', 'such', 'folder', 'x.wav'), 'x');
    } catch (e) {
      fsErr = e;
    }
    const err = new HarmonizerError('RENDER_FAILED', 'cannot write', { cause: new Error('wrapped', { cause: fsErr }) });
    expect(osErrorCode(err)).toBe('ENOENT');
    expect(isTemporaryFailure(err)).toBe(true);
  });

  it('undecodable audio, invalid arguments and range errors are permanent; a temporaryCause is not', async () => {
    const path = join(t.dir, 'garbage.mp3');
    writeFileSync(path, Buffer.alloc(4096, 7));
    const undecodable = await caught(decodeFile(path));
    expect(isHarmonizerError(undecodable) && undecodable.code).toBe('DECODE_FAILED');
    expect(isTemporaryFailure(undecodable)).toBe(false);
    expect(isTemporaryFailure(new HarmonizerError('INVALID_ARGUMENT', 'bad', { cause: Object.assign(new Error('x'), { code: 'EACCES' }) }))).toBe(false);
    expect(isTemporaryFailure(new HarmonizerError('RENDER_FAILED', 'target_time beyond the track'))).toBe(false);
    expect(isTemporaryFailure(new HarmonizerError('RENDER_FAILED', 'worker died', { cause: temporaryCause('worker died') }))).toBe(true);
    expect(isTemporaryFailure(new Error('not ours'))).toBe(true);
  });
});

describe('through the real worker pool', () => {
  const t = tempDir();
  let pool: RenderPool;
  let renderer: SnippetRenderer;
  let track: { path: string; sha256: string };
  const outDir = join(t.dir, 'snippets');

  beforeAll(() => {
    ensureCompiled('render');
    const n = 44100 * 4;
    const ch = new Float32Array(n).map((_, i) => 0.3 * Math.sin(i / 20));
    const bytes = encodeWav([ch, ch], 44100);
    track = { path: join(t.dir, 'tone.wav'), sha256: sha256Bytes(bytes) };
    writeFileSync(track.path, bytes);
    mkdirSync(outDir);
    pool = new RenderPool({ maxThreads: 1 });
    renderer = new SnippetRenderer({ pool, cache: new PcmCache({ capacityBytes: 16 << 20 }), outDir, crossfadeMs: 30 });
  });
  afterAll(async () => {
    await pool.close();
    t.cleanup();
  });

  it('a write refused by the folder crosses the thread boundary as temporary, with its OS code', async () => {
    const block = blockWrites(outDir);
    let err: unknown;
    try {
      err = await caught(renderer.render(track, { event_id: 'e1', sourceTime: 2, targetTime: 1, pre: 1, post: 1 }));
    } finally {
      block.restore();
    }
    expect(isHarmonizerError(err) && err.code, block.how).toBe('RENDER_FAILED');
    expect(osErrorCode(err)).toMatch(/^(EACCES|EPERM|ENOTDIR|EEXIST)$/);
    expect(isTemporaryFailure(err)).toBe(true);
    // Writes work again: the same renderer renders.
    await expect(renderer.render(track, { event_id: 'e1', sourceTime: 2, targetTime: 1, pre: 1, post: 1 })).resolves.toMatchObject({ event_id: 'e1' });
  });

  it('a track whose file changed since it was registered is temporary; undecodable content is permanent', async () => {
    const changed = await caught(renderer.render({ path: track.path, sha256: 'b'.repeat(64) }, { event_id: 'e2', sourceTime: 2, targetTime: 1, pre: 1, post: 1 }));
    expect(String((changed as Error).message)).toMatch(/differs from the registered/);
    expect(isTemporaryFailure(changed)).toBe(true);
    const junk = Buffer.alloc(2048, 3);
    const junkPath = join(t.dir, 'junk.ogg');
    writeFileSync(junkPath, junk);
    const bad = await caught(renderer.render({ path: junkPath, sha256: sha256Bytes(junk) }, { event_id: 'e3', sourceTime: 2, targetTime: 1, pre: 1, post: 1 }));
    expect(isHarmonizerError(bad) && bad.code).toBe('DECODE_FAILED');
    expect(isTemporaryFailure(bad)).toBe(false);
  });
});
