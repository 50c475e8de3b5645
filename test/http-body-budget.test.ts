import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { listen, type UwsServer } from '../src/http/uws.js';
import { Router } from '../src/http/router.js';
import { json } from '../src/http/types.js';

const KB = 1024;

/** A raw HTTP/1.1 POST: the head, then `sent` bytes of the body; resolves with the status line's code (or 'closed'). */
function rawPost(port: number, o: { length?: number; sent: number; chunked?: boolean; abortAfterSend?: boolean }): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const head = o.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${o.length ?? o.sent}\r\n`;
      s.write(`POST /hold HTTP/1.1\r\nHost: x\r\n${head}\r\n`);
      const body = Buffer.alloc(o.sent, 0x61);
      if (o.chunked) {
        // 16 KB chunks, as curl sends them.
        for (let at = 0; at < o.sent; at += 16 * KB) {
          const c = body.subarray(at, at + 16 * KB);
          s.write(`${c.length.toString(16)}\r\n`);
          s.write(c);
          s.write('\r\n');
        }
        s.write('0\r\n\r\n');
      } else s.write(body);
      if (o.abortAfterSend) setTimeout(() => { s.destroy(); resolve('aborted'); }, 100);
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m && got.includes('\r\n\r\n')) {
        resolve(got.includes('Retry-After: 5') ? `${m[1]} retry` : m[1]!);
        s.destroy();
      }
    });
    s.on('error', () => resolve('closed'));
    s.on('close', () => resolve('closed'));
  });
}

const until = async (cond: () => boolean, ms = 5000) => {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * The adapter's body budget on a real uWS server: bodies held by handlers that have not answered yet
 * count against it; one that would pass it is refused with 503 and Retry-After before it is read, and a
 * body's share comes back when its handler answers or its client goes away mid-body.
 */
describe('request body budget (real uWS server)', () => {
  let server: UwsServer;
  const gates: (() => void)[] = [];
  let received = 0;

  beforeAll(async () => {
    const router = new Router([
      {
        method: 'POST',
        pattern: '/hold',
        maxBodyBytes: 2048 * KB,
        // Holds its body until the test opens the gate: the body stays in memory meanwhile.
        handler: async (req) => {
          received++;
          await new Promise<void>((r) => gates.push(r));
          return json(200, { bytes: req.body.byteLength });
        },
      },
    ]);
    server = await listen(router, '127.0.0.1', 0, { bodyBudgetBytes: 1024 * KB });
  });
  afterAll(async () => {
    for (const g of gates.splice(0)) g();
    await server.stopAccepting();
  });

  const openGates = () => {
    for (const g of gates.splice(0)) g();
  };

  it('refuses a declared body that would pass the budget with 503 and Retry-After, and admits it once the first answered', async () => {
    const first = rawPost(server.port, { sent: 600 * KB });
    await until(() => received === 1);
    expect(server.inFlight()).toBe(1);
    // 600 KB held + 600 KB declared > 1 MB: refused at once, before its body is read.
    expect(await rawPost(server.port, { sent: 600 * KB })).toBe('503 retry');
    // A body above the route's limit is still 413, budget or not.
    expect(await rawPost(server.port, { length: 4096 * KB, sent: 10 })).toBe('413');
    openGates();
    expect(await first).toBe('200');
    const again = rawPost(server.port, { sent: 900 * KB });
    await until(() => received === 2);
    openGates();
    expect(await again).toBe('200');
    await until(() => server.inFlight() === 0);
  });

  it('a body without a declared length counts as it arrives', async () => {
    const held = rawPost(server.port, { sent: 700 * KB });
    await until(() => received === 3);
    expect(await rawPost(server.port, { sent: 600 * KB, chunked: true })).toBe('503 retry');
    openGates();
    expect(await held).toBe('200');
    const chunked = rawPost(server.port, { sent: 600 * KB, chunked: true });
    await until(() => received === 4);
    openGates();
    expect(await chunked).toBe('200');
  });

  it('a client that goes away mid-body gives its share back and is no longer in flight', async () => {
    for (let i = 0; i < 3; i++) expect(await rawPost(server.port, { length: 900 * KB, sent: 100 * KB, abortAfterSend: true })).toBe('aborted');
    await until(() => server.inFlight() === 0);
    // Had the aborted bodies kept their 900 KB each, this one would be refused.
    const ok = rawPost(server.port, { sent: 900 * KB });
    await until(() => received === 5);
    openGates();
    expect(await ok).toBe('200');
    await until(() => server.inFlight() === 0);
  });
});
