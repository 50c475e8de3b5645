import type { Worker } from 'node:worker_threads';

/**
 * Waits for a worker thread that has been asked to stop to leave by itself, and terminates it only
 * if it has not within `timeoutMs`.
 *
 * Why not `worker.terminate()` straight away: on Node 20, tearing a worker's isolate down while a
 * background TurboFan job for it is still compiling can abort the whole process
 * ("Assertion failed: (data.first) != nullptr" in NodePlatform::ForIsolate). A worker that closes
 * its port and lets its event loop drain has finished its hot code, so that window is all but
 * gone; terminate stays as the fallback for a worker that is stuck.
 */
export function awaitWorkerExit(worker: Worker, exited: Promise<number>, timeoutMs = 5000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const fallback = new Promise<number>((resolve) => {
    timer = setTimeout(() => void worker.terminate().then(resolve, () => resolve(1)), timeoutMs);
    timer.unref();
  });
  return Promise.race([exited, fallback]).finally(() => clearTimeout(timer));
}

/** A promise of the worker's exit code, taken when it starts so an early exit is not missed. */
export function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}
