/**
 * The dashboard's thread as the server runs it: requests go to worker.ts and their answers come back
 * by id. A failed thread fails its requests with STORE_UNAVAILABLE (503); the rest of the server is
 * unaffected.
 */
import { Worker } from 'node:worker_threads';
import { HarmonizerError } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import { awaitWorkerExit, exitOf } from '../shared/worker-exit.js';
import type { DashboardInit, FromDashboard, ToDashboard } from './messages.js';
import type { OpePanel } from './ope.js';
import type { DashboardSummary, ProbeValues, RangeName } from './summary.js';

type Waiter = { resolve: (v: never) => void; reject: (e: Error) => void };
type Request = Extract<ToDashboard, { id: number }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class DashboardService {
  readonly #worker: Worker;
  readonly #exited: Promise<number>;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #dead: Error | null = null;
  #closing: Promise<void> | null = null;

  constructor(init: DashboardInit) {
    this.#worker = new Worker(distModule('dashboard/worker.js'), { workerData: init });
    this.#exited = exitOf(this.#worker);
    // Idle, the thread must not keep a CLI process alive.
    this.#worker.unref();
    this.#worker.on('message', (m: FromDashboard) => {
      if (m.type === 'closed') return;
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (!w) return;
      if (m.type === 'error') w.reject(new HarmonizerError('STORE_UNAVAILABLE', `dashboard: ${m.message}`));
      else w.resolve((m.type === 'summary' ? m.summary : m.panel) as never);
    });
    const fail = (err: Error) => {
      this.#dead = new HarmonizerError('STORE_UNAVAILABLE', `the dashboard thread stopped: ${err.message}`);
      for (const w of this.#waiting.values()) w.reject(this.#dead);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    void this.#exited.then((code) => fail(new Error(`exit code ${code}`)));
  }

  #call<T>(msg: WithoutId<Request>): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#closing) return Promise.reject(new HarmonizerError('STORE_UNAVAILABLE', 'the dashboard is closing'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: never) => void, reject });
      this.#worker.postMessage({ ...msg, id } as ToDashboard);
    });
  }

  summary(range: RangeName, probes: ProbeValues, now: number): Promise<DashboardSummary> {
    return this.#call({ type: 'summary', range, probes, now });
  }

  ope(now: number): Promise<OpePanel> {
    return this.#call({ type: 'ope', now });
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      // Referenced again while it ends: an unreferenced thread would let the process exit in the
      // middle of this await (with nothing else left, Node ends the event loop, code 0).
      this.#worker.ref();
      if (!this.#dead) this.#worker.postMessage({ type: 'close' } satisfies ToDashboard);
      await awaitWorkerExit(this.#worker, this.#exited);
    })());
  }
}
