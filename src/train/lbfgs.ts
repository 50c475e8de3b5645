/**
 * L-BFGS (two-loop recursion, memory m) with a backtracking Armijo line search, on an async objective
 * (the gradient comes from the worker pool). Starts at θ = 0 and uses no randomness, so it is
 * deterministic given deterministic objective values.
 */

export type AsyncObjective = (theta: Float64Array) => Promise<{ f: number; g: Float64Array }>;

export interface LbfgsOptions {
  /** Iteration cap (each iteration = one line search, usually one evaluation). */
  readonly maxIterations: number;
  /** Stop when ‖g‖∞ ≤ tolerance or the relative decrease of f is ≤ tolerance · 1e-3. */
  readonly tolerance: number;
  /** Correction pairs kept. */
  readonly memory?: number;
  readonly onIteration?: (iteration: number, f: number) => void;
  readonly signal?: AbortSignal;
}

export interface LbfgsResult {
  readonly theta: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/**
 * Minimizes a smooth objective of `dim` variables from θ = 0.
 * Cost: O(maxIterations · (m · dim + evaluation)).
 */
export async function minimizeLbfgs(fg: AsyncObjective, dim: number, opts: LbfgsOptions): Promise<LbfgsResult> {
  const m = opts.memory ?? 10;
  let theta = new Float64Array(dim);
  let { f, g } = await fg(theta);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let iterations = 0;
  let converged = maxAbs(g) <= opts.tolerance;
  while (!converged && iterations < opts.maxIterations) {
    opts.signal?.throwIfAborted();
    iterations++;
    // Two-loop recursion: d = −H g.
    const q = Float64Array.from(g);
    const alpha = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], q);
      for (let i = 0; i < dim; i++) q[i] -= alpha[k] * Y[k][i];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1;
    for (let i = 0; i < dim; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], q);
      for (let i = 0; i < dim; i++) q[i] += (alpha[k] - beta) * S[k][i];
    }
    let d = q.map((v) => -v);
    let slope = dot(d, g);
    if (!(slope < 0)) {
      // Not a descent direction (curvature info went stale): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      d = g.map((v) => -v);
      slope = dot(d, g);
    }
    // First step: scale so the initial move is at most 1 in ∞-norm; later the quasi-Newton step is well scaled.
    let step = S.length ? 1 : Math.min(1, 1 / maxAbs(g));
    let next: { f: number; g: Float64Array } | undefined;
    let cand = theta;
    for (let ls = 0; ls < 40; ls++) {
      cand = theta.map((t, i) => t + step * d[i]);
      next = await fg(cand);
      evaluations++;
      if (Number.isFinite(next.f) && next.f <= f + 1e-4 * step * slope) break;
      next = undefined;
      step *= 0.5;
    }
    if (!next) break; // no decrease possible at machine precision: θ is as good as it gets
    const s = cand.map((t, i) => t - theta[i]);
    const yv = next.g.map((v, i) => v - g[i]);
    const sy = dot(s, yv);
    if (sy > 1e-12 * dot(yv, yv)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const decrease = f - next.f;
    theta = cand;
    f = next.f;
    g = next.g;
    opts.onIteration?.(iterations, f);
    converged = maxAbs(g) <= opts.tolerance || decrease <= opts.tolerance * 1e-3 * Math.max(1, Math.abs(f));
  }
  return { theta, f, iterations, evaluations, converged };
}
