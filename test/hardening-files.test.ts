import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { runCli, spawnCli, tempDir } from './support/env.js';
import { memoryOf, stop } from './support/proc.js';
import { writeToneWav } from './support/audio.js';


/**
 * GETs `path` on a raw socket and drops the bytes as they come; resolves with the body's length. No HTTP
 * client: parsing 5 GB through one would take this test's CPU from the server it measures.
 */
function drain(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    let head = '';
    let bodyStart = -1;
    let length = -1;
    let got = 0;
    s.on('data', (c: Buffer) => {
      if (bodyStart < 0) {
        head += c.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        length = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))?.[1] ?? -1);
        bodyStart = end + 4;
        got = head.length - bodyStart;
      } else got += c.length;
      if (got >= length) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

/** Sends a GET and never reads the answer (a client that stalls its socket). */
function stall(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      s.pause();
      resolve(s);
    });
    s.on('error', reject);
  });
}

/**
 * Issue 14 item 2: file routes stream from disk with back-pressure. Before, every GET of a track read
 * the whole file into memory: 100 parallel reads of a 26 MB file took the server from 149 MB to 2.3 GB.
 * Measured in a child server process, as users run it.
 */
describe('file routes stream with back-pressure (real server process)', () => {
  const tmp = tempDir();
  let child: ChildProcess;
  let url: string;
  let size: number;
  const env = () => ({ RL_DATA_DIR: tmp.dir, PORT: '0', HOST: '127.0.0.1', RL_LABELER_TOKEN: 'tok-0123456789' });

  beforeAll(async () => {
    const wav = join(tmp.dir, 'long.wav');
    writeToneWav(wav, 150); // 2.5 min stereo 16-bit: 26 MB, the demo track's size
    size = statSync(wav).size;
    const added = await runCli(['track', 'add', wav, '--id', 'long'], env());
    expect(added.code, added.stderr).toBe(0);
    const s = await spawnCli(['serve'], env(), /listening on (http:\/\/\S+)/);
    child = s.child;
    url = s.match[1]!;
  }, 60_000);

  afterAll(async () => {
    await stop(child);
    tmp.cleanup();
  });

  it('200 parallel readers of a 26 MB file and 100 stalled sockets: RSS under 400 MB, /healthz keeps answering', async () => {
    const pid = child.pid!;
    const idle = memoryOf(pid);
    const stalled = await Promise.all(Array.from({ length: 100 }, () => stall(Number(new URL(url).port), '/api/tracks/long/audio')));
    const latencies: number[] = [];
    let loading = true;
    const probe = (async () => {
      while (loading) {
        const t0 = performance.now();
        const r = await fetch(`${url}/healthz`);
        await r.arrayBuffer();
        latencies.push(performance.now() - t0);
        expect(r.status).toBe(200);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const reads = await Promise.all(Array.from({ length: 200 }, () => drain(Number(new URL(url).port), '/api/tracks/long/audio')));
    loading = false;
    await probe;
    const after = memoryOf(pid);
    for (const s of stalled) s.destroy();

    expect(reads.every((n) => n === size)).toBe(true);
    // The peak over the whole run, not a sample: VmHWM.
    expect(after.peak, `idle ${idle.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB`).toBeLessThan(400);
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    expect(latencies.length).toBeGreaterThan(3);
    // On an idle 2-core machine the median is 22-40 ms (the bound is 50 ms). This process's
    // 200 readers and the test file vitest runs beside this one share those two cores, so the bound here
    // only separates "answers" from what buffering whole files did: /healthz timed out.
    expect(median, `healthz latencies ${latencies.map((l) => l.toFixed(0)).join(' ')} ms`).toBeLessThan(250);
    console.log(`[files] idle ${idle.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB; /healthz median ${median.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length} probes`);
  }, 180_000);

  it('Range and HEAD over the socket: the bytes asked for, Content-Length from the range', async () => {
    const file = readFileSync(join(tmp.dir, 'long.wav'));
    const part = await fetch(`${url}/api/tracks/long/audio`, { headers: { Range: 'bytes=1000-200999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-200999/${size}`);
    expect(part.headers.get('content-length')).toBe('200000');
    expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), file.subarray(1000, 201000))).toBe(0);
    const head = await fetch(`${url}/api/tracks/long/audio`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
    const whole = await fetch(`${url}/api/tracks/long/audio`);
    expect(Buffer.compare(Buffer.from(await whole.arrayBuffer()), file)).toBe(0);
  }, 60_000);
});
