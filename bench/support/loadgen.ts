/**
 * A small closed-loop HTTP/1.1 load generator on raw sockets (one process, keep-alive connections,
 * one request in flight per connection, as browsers' beacons are). Every request carries fresh
 * random v4 UUIDs as event ids, as browsers make them. Prints one JSON line of results.
 *
 * usage: node loadgen.js URL CONNECTIONS SECONDS EVENTS_PER_REQUEST
 */
import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

const [url, connArg, secArg, eprArg] = process.argv.slice(2);
const target = new URL(url!);
const connections = Number(connArg ?? 64);
const seconds = Number(secArg ?? 5);
const eventsPerRequest = Number(eprArg ?? 1);
const warmupMs = 1000;

function event(): string {
  return (
    `{"event_id":"${randomUUID()}","session_id":"bench-${Math.floor(Math.random() * 1000)}","track_id":"demo",` +
    `"mode":"jukebox","source_index":${Math.floor(Math.random() * 500)},"target_index":${Math.floor(Math.random() * 500)},` +
    `"source_time":12.5,"target_time":80.25,"similarity":0.83,"span":-42,"same_section":true,"policy_mode":"rl",` +
    `"model_version":"m1","propensity":0.42,"candidates":[{"target_index":10,"p":0.42},{"target_index":99,"p":0.58}],` +
    `"settings":{"crossfade_ms":30},"context":{"bar_position_match":1,"loudness_delta_db":0.8},"client_ts":${Date.now()}}`
  );
}

function request(): Buffer {
  const body = eventsPerRequest === 1 ? event() : `[${Array.from({ length: eventsPerRequest }, event).join(',')}]`;
  return Buffer.from(
    `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const latencies = new Float64Array(4_000_000);
let nLat = 0;
let requests = 0;
const statuses: Record<number, number> = {};
let measuring = false;
let stopped = false;

function runConnection(): Promise<void> {
  return new Promise((resolve) => {
    const sock: Socket = connect(Number(target.port), target.hostname);
    sock.setNoDelay(true);
    let buf = '';
    let sentAt = 0;
    const send = () => {
      if (stopped) {
        sock.end();
        resolve();
        return;
      }
      sentAt = performance.now();
      sock.write(request());
    };
    sock.on('connect', send);
    sock.on('error', () => resolve());
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.slice(0, headEnd);
        const m = /content-length: *(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < headEnd + 4 + len) return;
        buf = buf.slice(headEnd + 4 + len);
        const status = Number(head.slice(9, 12));
        if (measuring) {
          requests++;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (nLat < latencies.length) latencies[nLat++] = performance.now() - sentAt;
        }
        send();
      }
    });
  });
}

const conns = Array.from({ length: connections }, runConnection);
await new Promise((r) => setTimeout(r, warmupMs));
measuring = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
stopped = true;
await Promise.race([Promise.all(conns), new Promise((r) => setTimeout(r, 2000))]);

const lat = latencies.subarray(0, nLat).sort();
const q = (p: number) => (nLat === 0 ? NaN : lat[Math.min(nLat - 1, Math.floor(p * nLat))]!);
const ok = (statuses[204] ?? 0) + (statuses[200] ?? 0);
console.log(
  JSON.stringify({
    requests,
    ok_requests: ok,
    statuses,
    seconds: elapsed,
    requests_per_s: requests / elapsed,
    events_per_s: (ok * eventsPerRequest) / elapsed,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
  }),
);
process.exit(0);
