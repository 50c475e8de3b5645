import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Store, sqliteApi } from '../src/store/index.js';
import { seedClips } from '../src/labeler/fixtures.js';
import { tempDir } from './support/env.js';

/** LabelStore directly: the random start of the queue scan, wrap-around, skips and perClip. */
describe('LabelStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  const now = 1_800_000_000_000;
  const lease = (labeler: string, rand: number, perClip = 1) => store.labels.leaseNext(labeler, {}, { now, leaseMs: 1000, perClip, rand: () => rand })?.clip.event_id ?? null;

  beforeEach(async () => {
    tmp = tempDir();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    await seedClips(sqliteApi(store, 'labels'), join(tmp.dir, 'snippets'), ['c0', 'c1', 'c2', 'c3'].map((event_id) => ({ event_id })));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('random order scans from a random rowid and wraps around', () => {
    expect(lease('a', 0)).toBe('c0');
    expect(lease('b', 0)).toBe('c1'); // c0 is leased to a
    expect(lease('c', 0.99)).toBe('c3');
    expect(lease('d', 0.99)).toBe('c2'); // nothing after c3 is free: wraps to the start, first free is c2
    expect(lease('e', 0.5)).toBeNull();
  });

  it('skipped clips come last in skip order; labeled ones never come back; perClip > 1 hands a clip to others', () => {
    store.labels.skip('a', 'c1', now);
    store.labels.skip('a', 'c0', now);
    expect(lease('a', 0)).toBe('c2');
    store.labels.upsert({ event_id: 'c2', labeler: 'a', label: 'good', time_spent_ms: 5, now });
    expect(lease('a', 0)).toBe('c3');
    store.labels.upsert({ event_id: 'c3', labeler: 'a', label: 'meh', time_spent_ms: 5, now });
    expect(lease('a', 0)).toBe('c1');
    store.labels.skip('a', 'c1', now); // skipped again: now after c0
    expect(lease('a', 0)).toBe('c0');
    expect(store.labels.remaining('a', {}, 1)).toBe(2);
    expect(lease('b', 0, 2)).toBe('c1'); // c0 is held by a; c2, c3 have one label of two
    store.labels.release('a');
    expect(store.labels.remaining('b', {}, 2)).toBe(4);
    expect(store.labels.remaining('a', {}, 2)).toBe(2);
    expect(store.labels.count()).toBe(2);
  });

  it('reopening migrates nothing twice; the label CHECK constraint holds', () => {
    store.close();
    store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    expect(() => store.db.prepare("INSERT INTO labels (event_id, labeler, label, created_at, updated_at) VALUES ('c0', 'x', 'great', 0, 0)").run()).toThrow(/CHECK/);
  });
});
