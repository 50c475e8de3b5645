import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store, sqliteApi } from '../src/store/index.js';
import { Router } from '../src/http/router.js';
import { buffered } from '../src/http/files.js';
import { labelerRoutes } from '../src/labeler/index.js';
import { seedClips } from '../src/labeler/fixtures.js';
import { encodeWav, PcmCache, readWav, RenderPool, sha256File, SnippetRenderer } from '../src/render/index.js';
import { tempDir, testConfig } from './support/env.js';

/** A missing reference clip is rendered on demand by the real render core (worker pool, dist build). */
describe('labeler reference clip rendered on demand', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let pool: RenderPool;

  beforeAll(() => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    pool = new RenderPool({ maxThreads: 1 });
  });
  afterAll(async () => {
    await pool.close();
    store.close();
    tmp.cleanup();
  });

  it('renders <id>.ref.wav with the clip\'s pre/post, records it, and serves it with Range', async () => {
    const rate = 22050;
    const tone = new Float32Array(rate * 30).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 330 * i) / rate));
    const trackPath = join(tmp.dir, 'track.wav');
    writeFileSync(trackPath, encodeWav([tone], rate));
    const snippetsDir = join(tmp.dir, 'snippets');
    const api = sqliteApi(store, join(tmp.dir, 'rl.sqlite3'));
    await seedClips(api, snippetsDir, [{ event_id: 'real1', track_id: 'real' }]);
    store.tracks.upsert({ track_id: 'real', title: 'Real', path: trackPath, sha256: await sha256File(trackPath), duration: 30, sample_rate: rate, channels: 1, added_at: 0 });
    const renderer = new SnippetRenderer({ pool, cache: new PcmCache({ capacityBytes: 16 << 20 }), outDir: snippetsDir, crossfadeMs: 30 });
    const router = new Router(labelerRoutes({ config: testConfig(tmp.dir), store: api, token: 'tok-12345678', renderer, model: { get: () => null } }));
    const r = await buffered(await router.handle({
      method: 'GET', path: '/api/rl/labeler/audio/real1/reference', query: new URLSearchParams(), params: {},
      headers: { 'x-labeler-token': 'tok-12345678' }, body: new Uint8Array(0),
    }));
    expect(r.status, String(r.body)).toBe(200);
    const wav = readWav(r.body as Uint8Array);
    expect(wav.sampleRate).toBe(rate);
    expect(wav.channels[0]!.length / rate).toBeCloseTo(1.5, 2); // pre 0.75 s + post 0.75 s
    expect(store.snippets.get('real1')!.ref_path).toBe(join(snippetsDir, 'real1.ref.wav'));
  });
});
