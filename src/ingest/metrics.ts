import client from 'prom-client';

/** Prometheus metrics of one server instance (own registry, so tests can run several servers). */
export class IngestMetrics {
  readonly registry = new client.Registry();
  readonly requests = new client.Counter({
    name: 'harmonizer_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly rejectedDropped = new client.Counter({
    name: 'harmonizer_rejected_dropped_total',
    help: 'Dead letters (rejected bodies) dropped, oldest first, to keep rejected_events under RL_REJECTED_MAX_MB',
    registers: [this.registry],
  });
  readonly events = new client.Counter({
    name: 'harmonizer_events_total',
    help: 'Beacon events by outcome (accepted = newly stored, duplicate, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new client.Histogram({
    name: 'harmonizer_commit_batch_events',
    help: 'Events per batch handed to the writer (it commits every batch waiting for it in one transaction)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  readonly commitSeconds = new client.Histogram({
    name: 'harmonizer_commit_seconds',
    help: 'Duration of a group-commit transaction (JSONL fsync + SQLite commit)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly queueDepth: client.Gauge;
  /** The counter's children by "route status": looked up once, not per request. */
  private readonly requestChildren = new Map<string, client.Counter.Internal>();

  /**
   * A quantile of the commit latency since start (s): the upper edge of the histogram bucket that holds
   * it, as Prometheus' histogram_quantile would interpolate; null before the first commit.
   */
  async commitQuantile(q: number): Promise<number | null> {
    const values = (await this.commitSeconds.get()).values;
    const buckets = values.filter((v) => v.metricName === 'harmonizer_commit_seconds_bucket' && v.labels.le !== '+Inf');
    const count = values.find((v) => v.metricName === 'harmonizer_commit_seconds_count')?.value ?? 0;
    if (count === 0) return null;
    for (const b of buckets) if (b.value >= q * count) return Number(b.labels.le);
    return Number(buckets[buckets.length - 1]?.labels.le ?? NaN);
  }

  /** Responses with status 503 per minute over the last hour (the dashboard's health banner). */
  readonly unavailable = new RecentCounter(60, 60_000);

  countRequest(route: string, status: number): void {
    if (status === 503) this.unavailable.add(1);
    const key = `${route} ${status}`;
    let child = this.requestChildren.get(key);
    if (!child) this.requestChildren.set(key, (child = this.requests.labels({ route, status: String(status) })));
    child.inc();
  }

  constructor(depth: () => number) {
    this.queueDepth = new client.Gauge({
      name: 'harmonizer_write_queue_events',
      help: 'Events waiting for a commit',
      registers: [this.registry],
      collect() {
        this.set(depth());
      },
    });
  }
}

/** Counts in `slots` buckets of `slotMs` (a ring): how many in the last slots · slotMs. */
export class RecentCounter {
  readonly #counts: number[];
  readonly #starts: number[];
  constructor(
    private readonly slots: number,
    private readonly slotMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#counts = new Array<number>(slots).fill(0);
    this.#starts = new Array<number>(slots).fill(-1);
  }

  add(n: number): void {
    const start = Math.floor(this.now() / this.slotMs);
    const i = start % this.slots;
    if (this.#starts[i] !== start) {
      this.#starts[i] = start;
      this.#counts[i] = 0;
    }
    this.#counts[i]! += n;
  }

  /** The total over the window that ends now. */
  total(): number {
    const current = Math.floor(this.now() / this.slotMs);
    let sum = 0;
    for (let i = 0; i < this.slots; i++) if (this.#starts[i]! > current - this.slots) sum += this.#counts[i]!;
    return sum;
  }
}
