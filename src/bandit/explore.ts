/**
 * Exploration with exact probabilities over a regression oracle's predicted rewards ŷ(a), a = 0..K−1
 * (higher is better). Every function returns the probability of EVERY action; they sum to 1 and each
 * is ≥ the floor, so the logged propensity is exact and logged data supports any other policy.
 *
 * - SquareCB / inverse-gap weighting (Foster & Rakhlin 2020; Abe & Long 1999): with b = argmax ŷ (the
 *   first on ties) and γ > 0, P(a) = 1 / (K + γ (ŷ(b) − ŷ(a))) for a ≠ b, P(b) = 1 − Σ_{a≠b} P(a).
 *   Larger γ explores less; γ = 0 is uniform.
 * - ε-greedy: P(b) = 1 − ε + ε/K, P(a) = ε/K.
 * - Floor p_min: P'(a) = (1 − K p_min) P(a) + p_min (a mix with uniform). When K p_min > 1 the floor
 *   cannot hold for every action and the result is uniform.
 * Browser-safe and pure.
 */

function argmax(scores: readonly number[]): number {
  let b = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[b]) b = i;
  return b;
}

function checkScores(scores: readonly number[]): void {
  if (scores.length === 0) throw new RangeError('scores must not be empty');
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) throw new RangeError(`scores[${i}] must be finite (got ${scores[i]})`);
}

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(typeof v === 'number' && v >= lo && v <= hi)) throw new RangeError(`${name} must be a number in [${lo}, ${hi}] (got ${v})`);
}

/** Mixes `p` with uniform so that every action has at least `floor`. Cost O(K). */
export function applyFloor(p: readonly number[], floor: number): number[] {
  checkRange('floor', floor, 0, 1);
  const k = p.length;
  if (floor * k >= 1) return p.map(() => 1 / k);
  return p.map((q) => (1 - k * floor) * q + floor);
}

/** SquareCB probabilities (module comment), then the floor. Precondition: finite scores. Cost O(K). */
export function squareCbProbabilities(scores: readonly number[], gamma: number, floor: number): number[] {
  checkScores(scores);
  checkRange('gamma', gamma, 0, Number.MAX_VALUE);
  const k = scores.length;
  const b = argmax(scores);
  const p = new Array<number>(k);
  let rest = 0;
  for (let a = 0; a < k; a++) {
    if (a === b) continue;
    p[a] = 1 / (k + gamma * (scores[b] - scores[a]));
    rest += p[a];
  }
  p[b] = 1 - rest;
  return applyFloor(p, floor);
}

/** ε-greedy probabilities (module comment), then the floor. Cost O(K). */
export function epsilonGreedyProbabilities(scores: readonly number[], epsilon: number, floor: number): number[] {
  checkScores(scores);
  checkRange('epsilon', epsilon, 0, 1);
  const k = scores.length;
  const b = argmax(scores);
  return applyFloor(scores.map((_, a) => (a === b ? 1 - epsilon + epsilon / k : epsilon / k)), floor);
}

/**
 * Draws an action from `probs` with `rand` (uniform in [0, 1)). Returns its index. Rounding can leave
 * Σ p a hair under 1: the last action with positive probability takes that sliver. Cost O(K).
 */
export function drawAction(probs: readonly number[], rand: () => number): number {
  const u = rand();
  let acc = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (!(probs[i] > 0)) continue;
    last = i;
    acc += probs[i];
    if (u < acc) return i;
  }
  if (last < 0) throw new RangeError('drawAction: no action has positive probability');
  return last;
}
