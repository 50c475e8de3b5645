import { describe, expect, it } from 'vitest';
import { BeaconBatcher, splitBatches, utf8Length } from '../src/player/batcher.js';

function recorder(accept: (body: string, i: number) => boolean = () => true) {
  const sent: string[] = [];
  let calls = 0;
  const send = (body: string) => {
    const ok = accept(body, calls++);
    if (ok) sent.push(body);
    return ok;
  };
  return { sent, send, calls: () => calls };
}
const ev = (i: number, pad = 0) => ({ event_id: `e${i}`, pad: 'x'.repeat(pad) });

describe('utf8Length / splitBatches', () => {
  it('counts UTF-8 bytes like TextEncoder', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a\u00e9\u20ac\ud83d\ude00z', '\ud800']) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  it('keeps every batch within both limits, in order', () => {
    const items = Array.from({ length: 55 }, (_, i) => ({ bytes: 100 + ((i * 37) % 900), i }));
    const batches = splitBatches(items, 20, 4000);
    expect(batches.flat().map((x) => x.i)).toEqual(items.map((x) => x.i));
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(20);
      expect(2 + b.reduce((s, x) => s + x.bytes, 0) + b.length - 1).toBeLessThanOrEqual(4000);
    }
  });
});

describe('BeaconBatcher', () => {
  it('sends 20 events per beacon as soon as 20 are queued, as a JSON array string', () => {
    const r = recorder();
    const b = new BeaconBatcher(r.send);
    for (let i = 0; i < 45; i++) b.add(ev(i), 0);
    expect(r.sent.length).toBe(2);
    expect(JSON.parse(r.sent[0]).map((e: { event_id: string }) => e.event_id)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(b.stats.pending).toBe(5);
  });

  it('sends the rest once the oldest has waited 5 s, and on flush', () => {
    const r = recorder();
    const b = new BeaconBatcher(r.send);
    b.add(ev(1), 1000);
    b.tick(5999);
    expect(r.sent.length).toBe(0);
    b.tick(6000);
    expect(r.sent.length).toBe(1);
    b.add(ev(2), 7000);
    b.flush(7001);
    expect(r.sent.length).toBe(2);
    expect(b.stats).toMatchObject({ sent: 2, beacons: 2, pending: 0 });
  });

  it('never builds a body over 60 KiB: large events are split across beacons; an event too big alone is dropped', () => {
    const r = recorder();
    const b = new BeaconBatcher(r.send);
    for (let i = 0; i < 10; i++) b.add(ev(i, 15_000), 0); // ~15 KB each: 4 per beacon at most
    b.flush(1);
    expect(r.sent.length).toBe(3);
    for (const s of r.sent) expect(utf8Length(s)).toBeLessThanOrEqual(60 * 1024);
    expect(r.sent.flatMap((s) => JSON.parse(s).map((e: { event_id: string }) => e.event_id))).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    b.add(ev(99, 70_000), 2);
    b.flush(3);
    expect(b.stats.dropped).toBe(1);
    expect(r.sent.length).toBe(3);
    // Multi-byte characters count by bytes, not UTF-16 units.
    const r2 = recorder();
    const b2 = new BeaconBatcher(r2.send, { maxBytes: 1000 });
    for (let i = 0; i < 6; i++) b2.add({ t: '€'.repeat(100) }, 0); // 300 bytes + braces each
    b2.flush(0);
    for (const s of r2.sent) expect(utf8Length(s)).toBeLessThanOrEqual(1000);
    expect(r2.sent.length).toBe(2); // 308 bytes each: 3 fit in 1000 (2 + 3·308 + 2), 4 do not
  });

  it('keeps refused beacons queued and retries with a capped exponential backoff', () => {
    let accept = false;
    const r = recorder(() => accept);
    const b = new BeaconBatcher(r.send, { retryBaseMs: 1000, retryMaxMs: 4000 });
    b.add(ev(1), 0);
    b.tick(5000); // due → refused
    expect(r.calls()).toBe(1);
    expect(b.stats).toMatchObject({ refused: 1, pending: 1 });
    b.tick(5999);
    expect(r.calls()).toBe(1); // backing off 1 s
    b.tick(6000); // refused again → 2 s
    b.tick(7999);
    expect(r.calls()).toBe(2);
    b.tick(8000); // → 4 s
    b.tick(12_000); // → capped at 4 s
    b.tick(15_999);
    expect(r.calls()).toBe(4);
    // Adding 20 while backing off does not hammer the browser.
    for (let i = 0; i < 25; i++) b.add(ev(100 + i), 13_000);
    expect(r.calls()).toBe(4);
    accept = true;
    b.tick(16_000);
    expect(b.stats.pending).toBe(0);
    expect(b.stats.sent).toBe(26);
    expect(r.sent.length).toBe(2);
  });

  it('caps the queue while refused (oldest dropped and counted)', () => {
    const r = recorder(() => false);
    const b = new BeaconBatcher(r.send, { maxQueue: 50 });
    for (let i = 0; i < 80; i++) b.add(ev(i), i);
    expect(b.stats.pending).toBe(50);
    expect(b.stats.dropped).toBe(30);
  });

  it('checks its options', () => {
    expect(() => new BeaconBatcher(() => true, { maxEvents: 0 })).toThrow(RangeError);
    expect(() => new BeaconBatcher(() => true, { maxByte: 10 } as never)).toThrow(/unknown option maxByte/);
  });
});
