/**
 * A counting semaphore: at most `size` holders at once, the rest wait in arrival order. Used to cap
 * work that costs a process or a core each (ffmpeg probes of uploads), however many requests arrive.
 */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`Slots: size must be a positive integer (got ${size})`);
    this.#free = size;
  }

  /** Holders now. */
  get busy(): number {
    return this.size - this.#free;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs `fn` in a slot; the slot is given back however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      // Handed straight to the next waiter (the count stays taken), or freed.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
