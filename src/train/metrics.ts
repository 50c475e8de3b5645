/**
 * Held-out metrics for probabilistic predictions against SOFT targets y ∈ [0, 1] (good 1, meh 0.5, bad 0).
 * All pure; `y` and `p` are parallel arrays of equal length. Empty input gives NaN (documented per function).
 */

export interface MetricSet {
  /** Mean cross-entropy in nats (lower is better). */
  readonly log_loss: number;
  /** Weighted (soft-label) ROC AUC, see `auc`. */
  readonly auc: number;
  /** Mean squared error of p against y. */
  readonly brier: number;
  /** Expected calibration error over 10 equal-width bins. */
  readonly ece: number;
}

type Arr = ArrayLike<number>;

/** Probabilities are clipped to [LOG_LOSS_EPS, 1 − LOG_LOSS_EPS] so a confident miss costs ≈ 34.5 nats, not ∞. */
export const LOG_LOSS_EPS = 1e-15;

/**
 * Mean of −[y log p + (1 − y) log(1 − p)] with p clipped to [eps, 1 − eps].
 * Precondition: p and y in [0, 1], same length. Cost: O(n). n = 0 → NaN.
 */
export function logLoss(y: Arr, p: Arr, eps = LOG_LOSS_EPS): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]));
    s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  }
  return s / y.length;
}

/**
 * Brier score: mean (p − y)². Precondition: same length. Cost: O(n). n = 0 → NaN.
 */
export function brier(y: Arr, p: Arr): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
}

/**
 * Weighted ROC AUC for soft labels: each example counts as a positive of weight y and a negative of
 * weight 1 − y; AUC = P(score of a positive > score of a negative), ties counting ½, over pairs of
 * DISTINCT examples (an example's own positive/negative halves are not paired with each other). For hard
 * labels (y ∈ {0, 1}) this is exactly the Mann–Whitney / rank AUC. Why weighted rather than thresholding
 * at 0.5: a meh label then counts half each way instead of being dropped or forced to a side.
 * Precondition: same length. Cost: O(n log n) (one sort). No positive or no negative weight → NaN.
 */
export function auc(y: Arr, p: Arr): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let negBelow = 0;
  let num = 0;
  let pos = 0;
  let neg = 0;
  let self = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let gp = 0;
    let gn = 0;
    while (j < n && p[order[j]] === p[order[i]]) {
      const t = y[order[j]];
      gp += t;
      gn += 1 - t;
      self += t * (1 - t);
      j++;
    }
    num += gp * negBelow + 0.5 * gp * gn;
    negBelow += gn;
    pos += gp;
    neg += gn;
    i = j;
  }
  // Remove each example's pairing with itself (always a tie, worth ½ · y(1 − y)).
  const den = pos * neg - self;
  return den > 0 ? (num - 0.5 * self) / den : NaN;
}

/**
 * Expected calibration error: Σ_b (n_b / n) · |mean y_b − mean p_b| over `bins` equal-width bins of p in
 * [0, 1] (p = 1 falls in the last bin); empty bins contribute 0.
 * Precondition: p in [0, 1], bins ≥ 1. Cost: O(n + bins). n = 0 → NaN.
 */
export function ece(y: Arr, p: Arr, bins = 10): number {
  const cnt = new Float64Array(bins);
  const sy = new Float64Array(bins);
  const sp = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)));
    cnt[b]++;
    sy[b] += y[i];
    sp[b] += p[i];
  }
  let s = 0;
  for (let b = 0; b < bins; b++) if (cnt[b] > 0) s += Math.abs(sy[b] - sp[b]);
  return s / y.length;
}

/** All four metrics. Cost: O(n log n). */
export function metricSet(y: Arr, p: Arr): MetricSet {
  return { log_loss: logLoss(y, p), auc: auc(y, p), brier: brier(y, p), ece: ece(y, p) };
}
