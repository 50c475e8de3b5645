/**
 * The learner as the server runs it: a worker thread (worker.ts) started from the configuration, its
 * latest status, and a poke for when new feedback arrives. A learner that fails is reported in its
 * status; ingest and the policy endpoint keep serving the last active policy.
 */
import { storeTarget } from '../store/index.js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Config } from '../shared/config.js';
import { HarmonizerError } from '../shared/errors.js';
import { distModule } from '../shared/paths.js';
import { awaitWorkerExit, exitOf } from '../shared/worker-exit.js';
import { explorationOf } from './options.js';
import type { FromLearner, LearnerInit, LearnerStatus, ToLearner } from './messages.js';
import { rulesFromConfig } from './rewards.js';

/** The learner's passes are sequential: a few connections are all its pool needs. */
const LEARNER_POOL = 3;

export class LearnerService {
  #status: LearnerStatus | null = null;
  #error: string | null = null;
  #closed: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<number>,
    private readonly pidFile: string | null,
  ) {}

  static start(config: Config, opts: { tickMs?: number; electionMs?: number } = {}): Promise<LearnerService> {
    const paths = config.paths;
    const init: LearnerInit = {
      store: storeTarget(config, LEARNER_POOL),
      policyPath: paths.policy,
      rules: rulesFromConfig(config),
      exploration: explorationOf(config),
      gammaScale: config.banditGamma,
      publishEvery: config.banditPublishEvery,
      minDecisions: config.banditMinDecisions,
      tickMs: opts.tickMs ?? 250,
      electionMs: opts.electionMs ?? 2000,
    };
    const worker = new Worker(distModule('learn/worker.js'), { workerData: init });
    // The pid file guards `bandit replay` on one machine. On PostgreSQL the data dir may be shared by
    // every node, and the learner lock guards replay instead (a pid of another machine means nothing).
    const pidFile = config.databaseUrl ? null : paths.learnerPid;
    if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
    const svc = new LearnerService(worker, exitOf(worker), pidFile);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromLearner) => {
        if (m.type === 'ready') {
          svc.#status = m.status;
          resolve(svc);
        } else if (m.type === 'status') {
          svc.#status = m.status;
          svc.#error = null;
        } else if (m.type === 'error') {
          svc.#error = m.message;
          if (!svc.#status) reject(new HarmonizerError('STORE_UNAVAILABLE', `learner failed to start: ${m.message}`));
        }
      });
      worker.on('error', (err) => {
        svc.#error = err.message;
        reject(err);
      });
      worker.on('exit', (code) => {
        if (code !== 0 && !svc.#closed) svc.#error = `learner thread exited with code ${code}`;
      });
    });
  }

  /** The learner's latest status and its last error, if any. */
  status(): { status: LearnerStatus | null; error: string | null } {
    return { status: this.#status, error: this.#error };
  }

  /** New feedback arrived: run a pass soon instead of at the next tick. */
  poke(): void {
    if (!this.#closed) this.worker.postMessage({ type: 'poke' } satisfies ToLearner);
  }

  close(): Promise<void> {
    return (this.#closed ??= new Promise<void>((resolve) => {
      const done = () => {
        if (this.pidFile) rmSync(this.pidFile, { force: true });
        resolve();
      };
      // The learner finishes its pass, closes its store and port, and its thread ends by itself.
      void awaitWorkerExit(this.worker, this.exited).then(done);
      this.worker.postMessage({ type: 'close' } satisfies ToLearner);
    }));
  }
}

/** The pid of a live process whose learner owns the data dir's reward log, or null. */
export function runningLearner(pidFile: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
