import { Worker } from 'node:worker_threads';
import { HarmonizerError, errors, type ErrorCode } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import { awaitWorkerExit, exitOf } from '../shared/worker-exit.js';
import type { Assignment } from '../store/index.js';
import type { ListenerSignal, RejectedEvent, StagedEvent } from '../shared/jump-event.js';
import type { ReplayResult } from './recovery.js';
import { WriterCore } from './writer-core.js';
import type { FromWriter, ToWriter, WriteBatch, WriteResult, WriterHealth, WriterInit } from './messages.js';

/** Where batches go: the writer thread (production) or the calling thread (tests, tools). */
export interface WriteBackend {
  readonly recovered: ReplayResult;
  /** Commits a batch; the promise settles once it is durable (then it may be acknowledged). */
  write(batch: WriteBatch): Promise<WriteResult>;
  assign(a: Assignment): Promise<Assignment>;
  health(): Promise<WriterHealth>;
  close(): Promise<void>;
}

/** Runs commits on the calling thread: same writer code, no worker (tests and CLI tools). */
export class InlineBackend implements WriteBackend {
  readonly recovered: ReplayResult;
  private readonly core: WriterCore;

  constructor(init: WriterInit) {
    this.core = new WriterCore(init);
    this.recovered = this.core.recovered;
  }
  async write(batch: WriteBatch) {
    const [r] = this.core.writeAll([batch]);
    this.core.syncMirrorNow();
    // No idle gaps to wait for on this thread: merge right away so reads see the events.
    while (this.core.mergeChunk());
    return r!;
  }
  async assign(a: Assignment) {
    return this.core.assign(a);
  }
  async health() {
    return this.core.health();
  }
  async close() {
    this.core.close();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Waiter = { resolve: (v: never) => void; reject: (e: Error) => void };

/** Commits on a dedicated worker thread, so fsync never blocks the HTTP event loop. */
export class WorkerBackend implements WriteBackend {
  recovered!: ReplayResult;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private dead: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<number>,
  ) {}

  static start(init: WriterInit): Promise<WorkerBackend> {
    const worker = new Worker(distModule('ingest/writer-worker.js'), { workerData: init });
    const backend = new WorkerBackend(worker, exitOf(worker));
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromWriter) => {
        if (m.type === 'ready') {
          backend.recovered = m.recovered;
          resolve(backend);
        } else if (m.type === 'fatal') reject(new HarmonizerError('STORE_UNAVAILABLE', m.message));
        else backend.settle(m);
      });
      worker.on('error', (err) => backend.fail(err, reject));
      worker.on('exit', (code) => {
        if (code !== 0 || backend.waiting.size > 0) backend.fail(new Error(`writer thread exited with code ${code}`), reject);
      });
    });
  }

  private settle(m: Exclude<FromWriter, { type: 'ready' | 'fatal' }>) {
    if (m.type === 'written') {
      m.ids.forEach((id, i) => this.take(id)?.resolve(m.results[i] as never));
      return;
    }
    const w = this.take(m.id);
    if (!w) return;
    if (m.type === 'error') w.reject(new HarmonizerError(m.code as ErrorCode, m.message, m.headers ? { headers: m.headers } : {}));
    else if (m.type === 'assigned') w.resolve(m.assignment as never);
    else if (m.type === 'health') w.resolve(m.health as never);
    else w.resolve(undefined as never);
  }

  private take(id: number): Waiter | undefined {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    return w;
  }

  /** A dead writer fails every waiting task and every later one: nothing is acknowledged unwritten. */
  private fail(err: Error, reject?: (e: Error) => void) {
    this.dead = new HarmonizerError('STORE_UNAVAILABLE', `store writer failed: ${err.message}`, { cause: err });
    reject?.(this.dead);
    for (const w of this.waiting.values()) w.reject(this.dead);
    this.waiting.clear();
  }

  private call<T>(msg: DistributiveOmit<ToWriter, 'id'>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: never) => void, reject });
      this.worker.postMessage({ ...msg, id } as ToWriter);
    });
  }

  write(batch: WriteBatch) {
    return this.call<WriteResult>({ type: 'write', batch });
  }
  assign(assignment: Assignment) {
    return this.call<Assignment>({ type: 'assign', assignment });
  }
  async health(): Promise<WriterHealth> {
    if (this.dead) return { ok: false, reason: 'the store writer has stopped' };
    return this.call<WriterHealth>({ type: 'health' });
  }
  async close() {
    if (this.dead) {
      await this.worker.terminate();
      return;
    }
    // The writer closes its store and port after this reply, then its thread ends by itself.
    await this.call<void>({ type: 'close' });
    await awaitWorkerExit(this.worker, this.exited);
  }
}

/**
 * Batches with the writer and not yet durable. The writer commits all the batches waiting for it
 * in one transaction, so this only bounds memory while the writer is stalled (a slow disk): past
 * it, batches wait on this thread and later grow to maxEvents.
 */
export const MAX_IN_FLIGHT = 16;

export interface GroupCommitOptions {
  /** Flush when this many events are queued. */
  maxEvents: number;
  /** Flush when the oldest queued event has waited this long (ms). */
  maxDelayMs: number;
  /** Above this many queued events, submit() throws QUEUE_FULL (503 + Retry-After). */
  maxQueued: number;
  onCommit?: (result: WriteResult) => void;
}

interface Pending {
  events: StagedEvent[];
  rejected: RejectedEvent[];
  signals: ListenerSignal[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit: requests queue their events; a batch leaves when it reaches maxEvents, or when the
 * oldest event has waited maxDelayMs (0: at the end of the current event-loop turn, so the requests
 * parsed in one turn travel together). The writer then commits every batch that reached it while
 * it was busy in one transaction. Each request's promise settles only after the transaction
 * holding its events has committed and is durable, which is what lets the endpoint answer
 * 204 = durable.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private queuedEvents = 0;
  /** Batches sent to the backend and not yet durable (or failed), at most MAX_IN_FLIGHT. */
  private unsettled = 0;
  private drained: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closing = false;

  constructor(
    private readonly backend: WriteBackend,
    private readonly opts: GroupCommitOptions,
  ) {}

  /** Events waiting for a commit (queue depth). */
  depth(): number {
    return this.queuedEvents;
  }

  /** Queues events (and dead letters, listener signals); resolves once their transaction is durable. */
  submit(events: StagedEvent[], rejected: RejectedEvent[] = [], signals: ListenerSignal[] = []): Promise<void> {
    if (this.closing) return Promise.reject(new HarmonizerError('SHUTTING_DOWN', 'server is shutting down'));
    const n = events.length + signals.length;
    if (this.queuedEvents + n > this.opts.maxQueued) return Promise.reject(errors.queueFull(1));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, rejected, signals, resolve, reject });
      this.queuedEvents += n;
      this.schedule();
    });
  }

  assign(a: Assignment): Promise<Assignment> {
    return this.backend.assign(a);
  }

  health(): Promise<WriterHealth> {
    return this.backend.health();
  }

  private schedule() {
    if (this.unsettled >= MAX_IN_FLIGHT) return; // the next settled batch flushes the rest
    if (this.queuedEvents >= this.opts.maxEvents) this.flush();
    else if (this.opts.maxDelayMs === 0) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), this.opts.maxDelayMs);
  }

  private flush() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    if (this.unsettled >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    // Take whole requests up to maxEvents (at least one request, whatever its size).
    let n = 0;
    let k = 0;
    const size = (p: Pending) => p.events.length + p.signals.length;
    while (k < this.queue.length && (k === 0 || n + size(this.queue[k]!) <= this.opts.maxEvents)) {
      n += size(this.queue[k]!);
      k++;
    }
    const taken = this.queue.splice(0, k);
    this.queuedEvents -= n;
    const batch: WriteBatch = { events: null, rejected: [], signals: [] };
    const ids: string[] = [];
    const lines: string[] = [];
    let receivedAt = Infinity;
    for (const p of taken) {
      for (const e of p.events) {
        ids.push(e.event_id);
        lines.push(e.line);
        if (e.received_at < receivedAt) receivedAt = e.received_at;
      }
      for (const r of p.rejected) batch.rejected.push(r);
      for (const sig of p.signals) batch.signals.push(sig);
    }
    if (ids.length > 0) batch.events = { ids, text: lines.join('\n'), receivedAt };
    this.unsettled++;
    const done = this.backend.write(batch).then(
      (result) => {
        this.opts.onCommit?.(result);
        for (const p of taken) p.resolve();
      },
      (err: Error) => {
        for (const p of taken) p.reject(err);
      },
    ).finally(() => {
      this.unsettled--;
      if (this.queue.length > 0) this.schedule();
    });
    this.drained = Promise.all([this.drained, done]).then(() => {});
    // More than one batch's worth queued: send the next one too if there is room.
    if (this.queuedEvents >= this.opts.maxEvents) this.flush();
  }

  /** Commits everything queued, then closes the backend. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.unsettled > 0 || this.queue.length > 0) {
      this.flush();
      await this.drained;
    }
    await this.backend.close();
  }
}
