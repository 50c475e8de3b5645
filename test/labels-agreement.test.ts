import { describe, expect, it } from 'vitest';
import { fleissKappa } from '../src/labeler/agreement.js';

describe("Fleiss' kappa", () => {
  it('hand-checked small cases', () => {
    // Two clips, two labelers each, both agree on each clip but the clips differ: P̄ = 1,
    // p = (1/2, 1/2, 0), P̄e = 1/2, κ = (1 − 1/2) / (1 − 1/2) = 1.
    expect(fleissKappa([[2, 0, 0], [0, 2, 0]])).toEqual({ kappa: 1, clips: 2, labels: 4, observed: 1, expected: 0.5 });
    // Every pair disagrees: P̄ = 0, P̄e = 1/2, κ = −1.
    expect(fleissKappa([[1, 1, 0], [1, 1, 0]])!.kappa).toBe(-1);
    // Three labelers: clip 1 [3,0,0] → P = 1; clip 2 [1,2,0] → P = (0 + 2)/(3·2) = 1/3.
    // P̄ = 2/3; p = (4/6, 2/6, 0), P̄e = 16/36 + 4/36 = 5/9; κ = (2/3 − 5/9) / (4/9) = 1/4.
    const k = fleissKappa([[3, 0, 0], [1, 2, 0]])!;
    expect(k.observed).toBeCloseTo(2 / 3, 12);
    expect(k.expected).toBeCloseTo(5 / 9, 12);
    expect(k.kappa).toBeCloseTo(0.25, 12);
  });

  it("matches the published worked example (Fleiss 1971 / Wikipedia: 10 items, 14 raters, κ ≈ 0.210)", () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const k = fleissKappa(table)!;
    expect(k.observed).toBeCloseTo(0.378, 3);
    expect(k.expected).toBeCloseTo(0.213, 3);
    expect(k.kappa).toBeCloseTo(0.21, 2);
  });

  it('clips with fewer than two labels are left out; undefined cases are null', () => {
    expect(fleissKappa([])).toBeNull();
    expect(fleissKappa([[1, 0, 0], [0, 1, 0]])).toBeNull();
    // Every label in one category: chance agreement is 1, κ is 0/0.
    expect(fleissKappa([[2, 0, 0], [3, 0, 0]])).toBeNull();
    expect(fleissKappa([[1, 0, 0], [2, 0, 0], [0, 2, 0]])).toMatchObject({ clips: 2, kappa: 1 });
  });
});
