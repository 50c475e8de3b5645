import { describe, expect, it } from 'vitest';
import { Slots } from '../src/shared/slots.js';

describe('Slots', () => {
  it('runs at most `size` at once, the rest in arrival order, and frees a slot however the work ends', async () => {
    const slots = new Slots(2);
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number, fail = false) =>
      slots.run(async () => {
        now++;
        most = Math.max(most, now);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        now--;
        if (fail) throw new Error(`job ${i} failed`);
        return i;
      });
    const results = await Promise.allSettled([job(0), job(1, true), job(2), job(3, true), job(4), job(5)]);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect([slots.busy, slots.queued]).toEqual([0, 0]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new Slots(0)).toThrow(/size must be a positive integer \(got 0\)/);
    expect(() => new Slots(1.5)).toThrow(RangeError);
  });
});
