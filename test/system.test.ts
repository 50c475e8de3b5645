import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../src/app/system.js';
import { makeEvent, tempDir, testConfig } from './support/env.js';
import { waitFor } from './support/wait.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { encodeWav } from '../src/render/index.js';

/** The whole loop in one process: demo track, beacon, rendered snippet, labeler, telemetry. */
describe('the system (start)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let system: RunningSystem;
  beforeEach(async () => {
    tmp = tempDir();
    system = await startSystem(testConfig(tmp.dir, { RL_THREADS: '2' }), { demoTrack: true, watcher: { pre: 2, post: 3, log: () => {} } });
  });
  afterEach(async () => {
    await system.close();
    tmp.cleanup();
  });

  it('logs a jump on the demo track, renders it, serves it to a labeler and counts the label', async () => {
    const url = system.server.url;
    expect(system.labelerUrl).toMatch(/\/rl\/labeler\?token=[\w-]{20,}$/);
    const icon = await fetch(`${url}/favicon.ico`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    expect(await icon.text()).toMatch(/^<svg /);
    const tracks = await (await fetch(`${url}/api/tracks`)).json();
    expect(tracks.tracks.map((t: { id: string }) => t.id)).toEqual(['demo']);

    const event = makeEvent({
      track_id: 'demo', source_time: 40, target_time: 72, policy_mode: 'baseline', propensity: 0.6, client_ts: 1_800_000_000_000,
      candidates: [
        { target_index: 42, features: { similarity: 0.87, span: 32 }, probability: 0.6, chosen: true },
        { target_index: 50, features: { similarity: 0.8, span: 40 }, probability: 0.4, chosen: false },
      ],
    });
    expect((await fetch(`${url}/api/rl/jump-event`, { method: 'POST', body: JSON.stringify(event) })).status).toBe(204);
    // The listener seeks away 1.5 s after the jump: the learner thread turns that into a reward of 0.
    const seek = { signal_id: 'sig-1', session_id: event.session_id, track_id: 'demo', kind: 'seek', position_s: 3, after_jump_event_id: event.event_id, ms_since_jump: 1500, client_ts: 1_800_000_001_500 };
    expect((await fetch(`${url}/api/rl/listener-event`, { method: 'POST', body: JSON.stringify(seek) })).status).toBe(204);
    type Bandit = { status: { applied: number } | null; rewards: { kind: string; source: string; count: number; mean: number | null }[] };
    const rewardOf = async (source: string) => ((await (await fetch(`${url}/api/rl/bandit`)).json()) as Bandit).rewards.find((r) => r.kind === 'jump' && r.source === source);
    expect(await waitFor(() => rewardOf('implicit'), 20_000, 50)).toMatchObject({ count: 1, mean: 0 });

    const token = new URL(system.labelerUrl).searchParams.get('token')!;
    const headers = { authorization: `Bearer ${token}`, 'x-labeler-name': 'ann' };
    // The clip reaches the labeler once the watcher has rendered it.
    const clip = await waitFor(async () => {
      const r = await fetch(`${url}/api/rl/labeler/next`, { headers });
      return r.status === 200 ? ((await r.json()) as { clip: { event_id: string } | null }).clip : null;
    }, 20_000, 100);
    const eventId = clip.event_id;
    expect(eventId).toBe(event.event_id);
    const audio = await fetch(`${url}/api/rl/labeler/audio/${eventId}`, { headers: { ...headers, range: 'bytes=0-43' } });
    expect(audio.status).toBe(206);
    expect(Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    const label = await fetch(`${url}/api/rl/labeler/label`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: eventId, label: 'good', time_spent_ms: 1200 }),
    });
    expect(label.status).toBeLessThan(300);
    // The label replaces the implicit reward.
    expect(await waitFor(() => rewardOf('label'), 20_000, 50)).toMatchObject({ count: 1, mean: 1 });
    expect(await rewardOf('implicit')).toBeUndefined();
    const tel = await (await fetch(`${url}/api/rl/telemetry`)).json();
    expect(tel.snippets.by_state.rendered).toBe(1);
    expect(tel.labels.mix).toMatchObject({ total: 1, good: 1 });
    expect(tel.arms.find((a: { arm: string }) => a.arm === 'baseline')).toMatchObject({ labels: 1, good: 1, good_rate: 1 });
  }, 60_000);
});

describe('uploads and analyses in the system', () => {
  it('checks uploads and decodes for analysis on the decode thread: 201 with the format, 415 naming the upload, then the analysis', async () => {
    const tmp = tempDir();
    const system = await startSystem(testConfig(tmp.dir));
    try {
      const url = system.server.url;
      const t = drumTrack(120, 20, 22050);
      const wav = encodeWav([t.channels[0]!, t.channels[0]!], t.sampleRate);
      const ok = await fetch(`${url}/api/tracks?id=drums`, { method: 'POST', headers: { 'content-type': 'audio/wav', 'x-filename': 'drums.wav' }, body: new Uint8Array(wav) });
      expect(ok.status).toBe(201);
      const track = await ok.json();
      expect(track).toMatchObject({ id: 'drums', sample_rate: 22050, channels: 2 });
      expect(track.duration).toBeCloseTo(20, 2);
      const bad = await fetch(`${url}/api/tracks`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-filename': 'notes.txt' }, body: 'not audio at all' });
      expect(bad.status).toBe(415);
      const reason = (await bad.json()).error as string;
      expect(reason).toMatch(/cannot decode "notes\.txt"/);
      expect(reason).not.toContain(tmp.dir);
      const analysis = await fetch(`${url}/api/tracks/drums/analysis`);
      expect(analysis.status).toBe(200);
      expect(Math.abs((await analysis.json()).track.tempo - 120)).toBeLessThan(2.4);
    } finally {
      await system.close();
      tmp.cleanup();
    }
  }, 60_000);
});

describe('cross-origin API for a player on another origin', () => {
  it('answers preflights and sets Access-Control-Allow-Origin on reads and errors', async () => {
    const tmp = tempDir();
    const system = await startSystem(testConfig(tmp.dir));
    try {
      const url = system.server.url;
      const pre = await fetch(`${url}/api/tracks`, { method: 'OPTIONS', headers: { origin: 'http://elsewhere', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-filename' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Filename/i);
      const policy = await fetch(`${url}/api/rl/policy?session_id=x1`, { headers: { origin: 'http://elsewhere' } });
      expect(policy.headers.get('access-control-allow-origin')).toBe('*');
      const model = await fetch(`${url}/api/rl/model`, { headers: { origin: 'http://elsewhere' } });
      expect(model.status).toBe(404);
      expect(model.headers.get('access-control-allow-origin')).toBe('*');
      expect((await model.json()).error).toMatch(/no active model/);
      // The labeler API stays same-origin.
      const lab = await fetch(`${url}/api/rl/labeler/next`, { headers: { origin: 'http://elsewhere' } });
      expect(lab.status).toBe(401);
      expect(lab.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await system.close();
      tmp.cleanup();
    }
  });
});
