/**
 * The event ids the writer has staged most recently, bounded: beacon retries arrive soon after the
 * original, so a window of recent ids catches almost every duplicate before it reaches the inbox
 * and the mirror. Exact deduplication is the UNIQUE index when the inbox is merged.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds an id, dropping the oldest ones (Set keeps insertion order) beyond capacity. */
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      let drop = Math.max(1, this.capacity >> 4);
      for (const old of this.ids) {
        this.ids.delete(old);
        if (--drop === 0) break;
      }
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
