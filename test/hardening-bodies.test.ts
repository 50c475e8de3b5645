import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { ffmpegPath } from '../src/render/index.js';
import { runCli, spawnCli, tempDir } from './support/env.js';
import { memoryOf, stop } from './support/proc.js';

const MB = 1024 * 1024;

/** The request head and the multipart part head of an upload of `mb` MB named `name`, and the closing boundary. */
const multipart = (mb: number, name = 'stall.mp3') => {
  const boundary = 'hardeningBoundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: audio/mpeg\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + mb * MB + tail.length;
  return { head: `POST /api/tracks HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n${head}`, tail };
};
const multipartHead = (mb: number) => multipart(mb).head;

/** One multipart upload of `mb` MB of non-audio bytes over a raw socket, written as fast as the server reads; resolves with the status code. */
function upload(port: number, mb: number, fill: number): Promise<string> {
  return new Promise((resolve) => {
    const { head, tail } = multipart(mb, `junk${fill}.mp3`);
    let got = '';
    const s = net.connect(port, '127.0.0.1', async () => {
      s.write(head);
      const chunk = Buffer.alloc(MB, fill);
      for (let k = 0; k < mb && !s.destroyed && got === ''; k++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      if (!s.destroyed) s.write(tail);
    });
    s.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        resolve(m[1]!);
        s.destroy();
      }
    });
    s.on('error', () => resolve(got === '' ? 'reset' : got));
    s.on('close', () => resolve(got === '' ? 'closed' : got));
  });
}

/** An upload declaring `mb` MB that sends its head and 1 MB, then stalls (the socket stays open). */
function stall(port: number, mb: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(multipartHead(mb));
      s.write(Buffer.alloc(MB, 1), () => setTimeout(() => resolve(s), 100));
    });
    s.on('error', () => {});
  });
}

/** The whole response to an upload declaring `mb` MB of which only the head is sent. */
function rawResponse(port: number, mb: number): Promise<{ status: string; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(multipartHead(mb)));
    s.on('data', (d) => {
      got += d.toString('utf8');
      const at = got.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(got);
      if (at >= 0 && len && got.length >= at + 4 + Number(len[1])) {
        s.destroy();
        resolve({ status: got.slice(9, 12), head: got.slice(0, at), body: got.slice(at + 4, at + 4 + Number(len[1])) });
      }
    });
    s.on('error', reject);
  });
}

/** ffmpeg processes the server has started and that still run (children of any of its threads). */
function ffmpegChildren(pid: number): number {
  let n = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'ffmpeg') n++;
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return n;
}

/** `seconds` of stereo silence as FLAC from a pipe (no duration in its header): tiny, and slow to decode. */
function silentFlac(seconds: number): Buffer {
  return execFileSync(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', String(seconds), '-c:a', 'flac', '-f', 'flac', 'pipe:1'],
    { maxBuffer: 64 << 20 },
  );
}

/**
 * Concurrent large uploads against a server process as users run it: every upload body is held in
 * memory until it is stored, so without a budget 20 concurrent 40 MB uploads took the server from
 * 133 MB to 930 MB RSS (and kept it). With RL_BODY_BUDGET_MB the bodies past the budget are refused with
 * 503 and Retry-After before they are read.
 */
describe('concurrent large uploads (real server process)', () => {
  const tmp = tempDir();
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    const s = await spawnCli(['serve'], { RL_DATA_DIR: tmp.dir, PORT: '0', HOST: '127.0.0.1', RL_UPLOAD_MAX_MB: '40', RL_BODY_BUDGET_MB: '100', RL_THREADS: '1', RL_UPLOAD_MAX_MINUTES: '5' }, /listening on http:\/\/\S+:(\d+)/);
    child = s.child;
    port = Number(s.match[1]);
  }, 60_000);
  afterAll(async () => {
    await stop(child);
    tmp.cleanup();
  });

  it('16 parallel 40 MB uploads: the bodies past RL_BODY_BUDGET_MB get 503, RSS stays < 250 MB above idle, and the server still answers', async () => {
    const idle = memoryOf(child.pid!).rss;
    const statuses = await Promise.all(Array.from({ length: 16 }, (_, i) => upload(port, 40, i + 1)));
    const peak = memoryOf(child.pid!).peak;
    const count = (s: string) => statuses.filter((x) => x === s).length;
    // Two 40 MB bodies fit in 100 MB at once; the rest are refused before being read (or admitted later,
    // when an earlier one has been answered). The admitted ones are not audio: 415.
    expect(count('503'), statuses.join(',')).toBeGreaterThan(0);
    expect(count('415'), statuses.join(',')).toBeGreaterThan(0);
    expect(count('503') + count('415'), statuses.join(',')).toBe(16);
    expect(peak - idle).toBeLessThan(250);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    // The budget is free again: a small upload gets through.
    expect(await upload(port, 1, 99)).toBe('415');
  }, 120_000);

  it('a busy refusal says why and when to retry; bodies of clients that went away mid-upload free the budget', async () => {
    // Two uploads that declare 40 MB each and stall after 1 MB: together they hold 80 of the 100 MB.
    const stalled = await Promise.all([stall(port, 40), stall(port, 40)]);
    // 20 MB more would fit in the 100 MB, but not in the 87.5 MB that bodies over 1 MB may use.
    const refused = await rawResponse(port, 20);
    expect(refused.status).toBe('503');
    expect(refused.head).toMatch(/Retry-After: 5/i);
    expect(JSON.parse(refused.body)).toEqual({
      code: 'SERVER_BUSY',
      error: 'the server is receiving other request bodies (80.0 MB held; RL_BODY_BUDGET_MB leaves 87.5 MB for a body of this size, 20.0 MB); retry later',
    });
    // The eighth kept for small bodies: beacons still reach their handler (this one is not JSON: 400).
    const beacon = await fetch(`http://127.0.0.1:${port}/api/rl/jump-event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{'.repeat(1000) });
    expect(beacon.status).toBe(400);
    expect((await beacon.json()).code).toBe('INVALID_JSON');
    // Refused before the router saw a body, and still counted per route in /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/harmonizer_http_requests_total\{route="\/api\/tracks",status="503"\} [1-9]/);
    for (const s of stalled) s.destroy();
    // Their shares come back when they go away: two full uploads fit again.
    await new Promise((r) => setTimeout(r, 200));
    expect(await Promise.all([upload(port, 40, 21), upload(port, 40, 22)])).toEqual(['415', '415']);
  }, 60_000);

  it('a burst of small decompression bombs runs one ffmpeg probe per core (RL_THREADS=1), the rest wait their turn', async () => {
    // Six different files (no deduplication), each 10 minutes of silence in about 100 KB: each probe
    // decodes until the 5-minute limit.
    const bombs = Array.from({ length: 6 }, (_, i) => silentFlac(600 + i));
    let most = 0;
    let running = true;
    const watch = (async () => {
      while (running) {
        most = Math.max(most, ffmpegChildren(child.pid!));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const statuses = await Promise.all(
      bombs.map(async (b, i) => {
        const r = await fetch(`http://127.0.0.1:${port}/api/tracks?id=bomb${i}`, { method: 'POST', body: b as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream' } });
        return `${r.status} ${(await r.json()).code}`;
      }),
    );
    running = false;
    await watch;
    expect(statuses).toEqual(Array(6).fill('413 AUDIO_TOO_LONG'));
    expect(most).toBe(1);
  }, 60_000);

  it('refuses a budget whose uploads\' share cannot hold one upload, naming both variables', async () => {
    const r = await runCli(['serve'], { RL_DATA_DIR: tmp.dir, PORT: '0', RL_UPLOAD_MAX_MB: '50', RL_BODY_BUDGET_MB: '40' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RL_BODY_BUDGET_MB must leave room for one upload of RL_UPLOAD_MAX_MB in its 7\/8 for bodies over 1 MB: at least 59 \(got 40 and 50\)/);
  });
});
