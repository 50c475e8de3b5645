/**
 * Inter-labeler agreement: Fleiss' kappa over clips with two or more labels.
 *
 * counts[i][j] = how many labelers put clip i into category j. Per clip, P_i = Σ_j n_ij (n_ij − 1) /
 * (n_i (n_i − 1)) is the share of agreeing labeler pairs; P̄ is their mean. Chance agreement is
 * P̄e = Σ_j p_j² with p_j the share of all labels in category j. κ = (P̄ − P̄e) / (1 − P̄e).
 * Clips may have different numbers of labelers (the usual generalization: each clip's P_i uses its
 * own n_i, and p_j pools all labels); with a constant n this is exactly Fleiss (1971).
 */
export interface Agreement {
  kappa: number;
  /** Clips that entered the computation (≥ 2 labels). */
  clips: number;
  labels: number;
  observed: number;
  expected: number;
}

/**
 * Null when fewer than one clip has ≥ 2 labels, or when chance agreement is 1 (every label in one
 * category: κ is 0/0, undefined). Cost O(clips × categories).
 */
export function fleissKappa(counts: readonly (readonly number[])[]): Agreement | null {
  const rows = counts.filter((r) => r.reduce((a, b) => a + b, 0) >= 2);
  if (rows.length === 0) return null;
  const k = Math.max(...rows.map((r) => r.length));
  const totals = new Array<number>(k).fill(0);
  let labels = 0;
  let pSum = 0;
  for (const r of rows) {
    const n = r.reduce((a, b) => a + b, 0);
    let agree = 0;
    r.forEach((c, j) => {
      agree += c * (c - 1);
      totals[j]! += c;
    });
    pSum += agree / (n * (n - 1));
    labels += n;
  }
  const observed = pSum / rows.length;
  const expected = totals.reduce((a, t) => a + (t / labels) ** 2, 0);
  if (expected >= 1) return null;
  return { kappa: (observed - expected) / (1 - expected), clips: rows.length, labels, observed, expected };
}
