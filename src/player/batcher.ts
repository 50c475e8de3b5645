/**
 * Beacon batching, kept off the playback path: events queue here and leave as JSON-array strings (what
 * `navigator.sendBeacon` sends as text/plain, so no CORS preflight) of at most `maxEvents` events and
 * `maxBytes` bytes, when `maxEvents` are waiting or the oldest has waited `intervalMs`, and on `flush`
 * (page hidden / leaving). A refused beacon (the browser's 64 KiB in-flight quota) stays queued and is
 * retried after a capped exponential backoff; the queue itself is capped (oldest dropped, counted).
 *
 * Pure and browser-safe: the transport and the clock are injected, the owner calls `tick` from a timer.
 */

export interface BatcherOptions {
  /** Events per beacon, ≥ 1. Default 20. */
  maxEvents?: number;
  /** Bytes (UTF-8) per beacon body, ≥ 64. Default 60 KiB, under the ingest limit and the beacon quota of 64 KiB. */
  maxBytes?: number;
  /** The oldest queued event leaves after this long. Default 5000 ms. */
  intervalMs?: number;
  /** Queued events kept at most while beacons are refused; the oldest go first. Default 1000. */
  maxQueue?: number;
  /** First retry delay after a refusal; doubles per refusal up to `retryMaxMs`. Defaults 1000 / 30000 ms. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export const BATCHER_DEFAULTS: Readonly<Required<BatcherOptions>> = Object.freeze({
  maxEvents: 20,
  maxBytes: 60 * 1024,
  intervalMs: 5000,
  maxQueue: 1000,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
});

export interface BatcherStats {
  /** Events handed to an accepted beacon. */
  sent: number;
  /** Beacons accepted. */
  beacons: number;
  /** Beacons the transport refused (each is retried). */
  refused: number;
  /** Events dropped: larger than a beacon may be, or pushed out of a full queue. */
  dropped: number;
  pending: number;
}

interface Item {
  json: string;
  bytes: number;
  at: number;
}

/** UTF-8 length of a string without allocating (lone surrogates count as the 3 bytes of U+FFFD). Cost O(n). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Splits serialized events (with their UTF-8 sizes) into consecutive batches of ≤ maxEvents events whose
 * JSON array `[a,b,…]` is ≤ maxBytes. Precondition: every item fits alone (bytes + 2 ≤ maxBytes). Cost O(n).
 */
export function splitBatches<T extends { bytes: number }>(items: readonly T[], maxEvents: number, maxBytes: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 2; // the brackets
  for (const it of items) {
    const add = it.bytes + (cur.length > 0 ? 1 : 0); // the comma
    if (cur.length > 0 && (cur.length >= maxEvents || size + add > maxBytes)) {
      out.push(cur);
      cur = [];
      size = 2;
    }
    size += it.bytes + (cur.length > 0 ? 1 : 0);
    cur.push(it);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`options.${name} must be an integer ≥ ${min} (got ${v})`);
}

export class BeaconBatcher {
  readonly #send: (body: string) => boolean;
  readonly #o: Required<BatcherOptions>;
  readonly #queue: Item[] = [];
  #failures = 0;
  #retryAt = 0;
  readonly #stats = { sent: 0, beacons: 0, refused: 0, dropped: 0 };

  constructor(send: (body: string) => boolean, opts: BatcherOptions = {}) {
    const o = { ...BATCHER_DEFAULTS, ...opts };
    for (const k of Object.keys(opts)) if (!(k in BATCHER_DEFAULTS)) throw new TypeError(`unknown option ${k}`);
    checkInt('maxEvents', o.maxEvents, 1);
    checkInt('maxBytes', o.maxBytes, 64);
    checkInt('intervalMs', o.intervalMs, 0);
    checkInt('maxQueue', o.maxQueue, 1);
    checkInt('retryBaseMs', o.retryBaseMs, 0);
    checkInt('retryMaxMs', o.retryMaxMs, o.retryBaseMs);
    this.#send = send;
    this.#o = o;
  }

  get stats(): BatcherStats {
    return { ...this.#stats, pending: this.#queue.length };
  }

  /** Queues one event (serialized now, so later mutation cannot change it); may send a full batch. */
  add(event: unknown, now: number): void {
    const json = JSON.stringify(event);
    const bytes = utf8Length(json);
    if (bytes + 2 > this.#o.maxBytes) {
      this.#stats.dropped++; // could never be sent: the server would answer 413
      return;
    }
    this.#queue.push({ json, bytes, at: now });
    if (this.#queue.length > this.#o.maxQueue) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
    if (this.#queue.length >= this.#o.maxEvents && now >= this.#retryAt) this.#flush(now);
  }

  /** Call periodically (e.g. every second): sends when the oldest event is due or a retry is due. */
  tick(now: number): void {
    if (this.#queue.length === 0 || now < this.#retryAt) return;
    const due = this.#failures > 0 || this.#queue.length >= this.#o.maxEvents || now - this.#queue[0].at >= this.#o.intervalMs;
    if (due) this.#flush(now);
  }

  /** Sends everything queued now, ignoring the backoff (the page is being hidden or left: the last chance). */
  flush(now: number): void {
    this.#flush(now);
  }

  #flush(now: number): void {
    while (this.#queue.length > 0) {
      const [batch] = splitBatches(this.#queue, this.#o.maxEvents, this.#o.maxBytes);
      const body = `[${batch.map((i) => i.json).join(',')}]`;
      if (!this.#send(body)) {
        this.#stats.refused++;
        this.#failures++;
        this.#retryAt = now + Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(30, this.#failures - 1));
        return;
      }
      this.#queue.splice(0, batch.length);
      this.#stats.sent += batch.length;
      this.#stats.beacons++;
      this.#failures = 0;
      this.#retryAt = 0;
    }
  }
}
