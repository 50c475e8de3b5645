import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/ingest/server.js';
import { openLabeler, labelerUrl, resolveLabelerToken, type Labeler } from '../src/labeler/index.js';
import { seedClips } from '../src/labeler/fixtures.js';
import { tempDir, testConfig } from './support/env.js';

/** The labeler mounted in the real server (uWebSockets.js on an ephemeral port), over HTTP. */
describe('labeler over a real server', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RunningServer;
  let labeler: Labeler;

  beforeAll(async () => {
    tmp = tempDir();
    const config = testConfig(tmp.dir); // no RL_LABELER_TOKEN: one is generated
    labeler = await openLabeler(config);
    server = await startServer(config, { inlineWriter: true, extraRoutes: () => labeler.routes });
    await seedClips(labeler.store, join(tmp.dir, 'snippets'), [{ event_id: 's1' }, { event_id: 's2' }]);
  });
  afterAll(async () => {
    await server.close();
    await labeler.close();
    tmp.cleanup();
  });

  it('generates a token when RL_LABELER_TOKEN is unset, and prints a URL with it', () => {
    expect(labeler.generated).toBe(true);
    expect(labeler.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(resolveLabelerToken({ labelerToken: undefined }).token).not.toBe(labeler.token);
    expect(resolveLabelerToken({ labelerToken: 'fixed-token-1' })).toEqual({ token: 'fixed-token-1', generated: false });
    expect(labelerUrl('127.0.0.1', 4000, 'a+b/c')).toBe('http://127.0.0.1:4000/rl/labeler?token=a%2Bb%2Fc');
    expect(labelerUrl('::1', 4000, 't')).toBe('http://[::1]:4000/rl/labeler?token=t');
  });

  it('401 without the token on the API and audio; Range and 416 over the wire; the ingest routes still work', async () => {
    const base = server.url;
    for (const path of ['/api/rl/labeler/next', '/api/rl/labeler/audio/s1', '/api/rl/labeler/audio/s1/reference', '/api/rl/labeler/me']) {
      const r = await fetch(base + path, { headers: { 'X-Labeler-Name': 'ann' } });
      expect(r.status, path).toBe(401);
      expect(((await r.json()) as { error: string }).error).toMatch(/token/);
      const wrong = await fetch(base + path, { headers: { 'X-Labeler-Name': 'ann', Authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    }
    const auth = { Authorization: `Bearer ${labeler.token}`, 'X-Labeler-Name': 'ann' };
    const next = (await (await fetch(`${base}/api/rl/labeler/next`, { headers: auth })).json()) as { clip: { event_id: string; audio_url: string } };
    const file = readFileSync(join(tmp.dir, 'snippets', `${next.clip.event_id}.wav`));
    const part = await fetch(base + next.clip.audio_url, { headers: { ...auth, Range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${file.length}`);
    expect(Buffer.from(await part.arrayBuffer()).toString('latin1')).toBe(file.subarray(4, 12).toString('latin1'));
    const full = await fetch(base + next.clip.audio_url, { headers: auth });
    expect(full.status).toBe(200);
    expect(Number(full.headers.get('content-length'))).toBe(file.length);
    await full.arrayBuffer();
    const beyond = await fetch(base + next.clip.audio_url, { headers: { ...auth, Range: `bytes=${file.length + 1}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${file.length}`);
    await beyond.arrayBuffer();
    const label = await fetch(`${base}/api/rl/labeler/label`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_id: next.clip.event_id, label: 'good', notes: '<b>x</b>' }),
    });
    expect(label.status).toBe(200);
    expect(await labeler.store.labels.get(next.clip.event_id, 'ann')).toMatchObject({ label: 'good', notes: '<b>x</b>' });
    // Telemetry (read through the ingest server's read-only connection) sees the label.
    const tel = (await (await fetch(`${base}/api/rl/telemetry`)).json()) as { labels: { mix: { good: number } } };
    expect(tel.labels.mix.good).toBe(1);
    const page = await fetch(`${base}/rl/labeler?token=${labeler.token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('id="wave"');
  });
});
