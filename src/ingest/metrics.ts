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

  countRequest(route: string, status: number): void {
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
