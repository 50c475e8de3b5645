/**
 * Weighted ridge regression kept as sufficient statistics, the bandit's regression oracle:
 * A = λ I + Σ w x xᵀ, b = Σ w r x, ŵ = A⁻¹ b. Adding or removing one observation costs O(d²), so a
 * reward replaced later (a label after the implicit reward) is a remove plus an add, exactly; the
 * state is bounded by d² whatever the number of rewards. Solving is a Cholesky factorization, O(d³)
 * (d ≈ 12 here). Deterministic: the same observations in the same order give bit-identical weights.
 */
export class Ridge {
  readonly d: number;
  readonly #a: Float64Array;
  readonly #b: Float64Array;
  /** Sum of the weights of the observations in the model. */
  weight = 0;
  /** Number of observations in the model. */
  count = 0;

  constructor(d: number, lambda: number) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be a positive integer (got ${d})`);
    if (!(lambda > 0)) throw new RangeError(`lambda must be > 0 (got ${lambda})`);
    this.d = d;
    this.#a = new Float64Array(d * d);
    this.#b = new Float64Array(d);
    for (let i = 0; i < d; i++) this.#a[i * d + i] = lambda;
  }

  /** A += s·w x xᵀ, b += s·w r x (s = +1 adds, −1 removes). */
  #update(x: readonly number[], r: number, w: number, s: 1 | -1): void {
    const d = this.d;
    if (x.length !== d) throw new RangeError(`x must have ${d} entries (got ${x.length})`);
    if (!Number.isFinite(r) || !Number.isFinite(w) || w < 0) throw new RangeError('reward and weight must be finite, weight ≥ 0');
    for (let i = 0; i < d; i++) {
      const wxi = s * w * x[i];
      this.#b[i] += wxi * r;
      for (let j = 0; j < d; j++) this.#a[i * d + j] += wxi * x[j];
    }
  }

  /** Adds one observation (features x, reward r, weight w ≥ 0). O(d²). */
  add(x: readonly number[], r: number, w = 1): void {
    this.#update(x, r, w, 1);
    this.weight += w;
    this.count++;
  }

  /** Removes an observation added before (the same x, r and w). O(d²). */
  remove(x: readonly number[], r: number, w = 1): void {
    this.#update(x, r, w, -1);
    this.weight -= w;
    this.count--;
  }

  /** The ridge weights ŵ = A⁻¹ b (Cholesky). O(d³). */
  solve(): number[] {
    const d = this.d;
    const l = new Float64Array(d * d);
    const a = this.#a;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * d + j];
        for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
        if (i === j) {
          // A is λI plus a positive semi-definite sum: s > 0 unless removals cancelled rounding badly.
          l[i * d + i] = Math.sqrt(Math.max(s, 1e-12));
        } else l[i * d + j] = s / l[j * d + j];
      }
    }
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = this.#b[i];
      for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
      y[i] = s / l[i * d + i];
    }
    const w = new Array<number>(d);
    for (let i = d - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < d; k++) s -= l[k * d + i] * w[k];
      w[i] = s / l[i * d + i];
    }
    return w;
  }

  /** A copy of the statistics (for cross-fitting: the whole minus one fold). */
  clone(): Ridge {
    const r = new Ridge(this.d, 1);
    r.#a.set(this.#a);
    r.#b.set(this.#b);
    r.weight = this.weight;
    r.count = this.count;
    return r;
  }

  /** this − other's observations (other built with the same λ: its λ I is kept once). */
  minus(other: Ridge, lambda: number): Ridge {
    const r = this.clone();
    const d = this.d;
    for (let i = 0; i < d * d; i++) r.#a[i] -= other.#a[i];
    for (let i = 0; i < d; i++) r.#a[i * d + i] += lambda;
    for (let i = 0; i < d; i++) r.#b[i] -= other.#b[i];
    r.weight -= other.weight;
    r.count -= other.count;
    return r;
  }
}
