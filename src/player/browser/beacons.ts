/**
 * Beacon transport of the page: one BeaconBatcher per endpoint, ticked by a timer, flushed when the page
 * is hidden or left. sendBeacon never blocks playback: it queues the request with the browser and returns.
 */
import { BeaconBatcher, type BatcherStats } from '../batcher.js';

export class BeaconChannel {
  readonly #batcher: BeaconBatcher;

  constructor(url: string) {
    const send = (body: string): boolean => {
      try {
        // A string body goes as text/plain;charset=UTF-8: a "simple" request, no CORS preflight.
        return navigator.sendBeacon(url, body);
      } catch {
        return false;
      }
    };
    this.#batcher = new BeaconBatcher(send);
    setInterval(() => this.#batcher.tick(Date.now()), 1000);
  }

  add(event: unknown): void {
    this.#batcher.add(event, Date.now());
  }

  flush(): void {
    this.#batcher.flush(Date.now());
  }

  get stats(): BatcherStats {
    return this.#batcher.stats;
  }
}

/** Flushes the channels when the page goes to the background or away (the last moment a beacon is sure to leave). */
export function flushOnHide(channels: readonly BeaconChannel[], beforeFlush: (reason: 'hidden' | 'pagehide') => void): void {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'hidden') return;
    beforeFlush('hidden');
    for (const c of channels) c.flush();
  });
  window.addEventListener('pagehide', () => {
    beforeFlush('pagehide');
    for (const c of channels) c.flush();
  });
}
