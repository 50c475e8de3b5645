/**
 * L2-regularized logistic regression on soft labels, as pure numeric kernels on row-major Float64Arrays.
 *
 * The model lives in STANDARDIZED space: z = b + Σ_j w_j (x_j − μ_j) / σ_j, parameters θ = [w_0..w_{d-1}, b].
 * The kernel never materializes a standardized copy of X: it runs on raw rows with the equivalent raw
 * parameters v_j = w_j / σ_j, c = b − Σ v_j μ_j, and `objectiveFromSums` maps the raw sums back. So every
 * fold (each with its own μ, σ) shares ONE X buffer, selected by per-row weights (1 train, 0 held out).
 *
 * Objective: f(θ) = (1/W) Σ_i s_i ℓ(z_i, y_i) + (λ/2) ‖w‖², with ℓ = softplus(z) − y z (the soft-label
 * cross-entropy), s_i the row weight, W = Σ s_i. The bias is not penalized.
 */
import type { Standardization } from './dataset.js';

/**
 * Partial sums of one row range: [Σ s ℓ, Σ s, Σ s r, Σ s r x_0, …, Σ s r x_{d-1}] with r = σ(z) − y.
 * Length `partialStride(cols)`.
 */
export const P_LOSS = 0;
export const P_WEIGHT = 1;
export const P_BIAS = 2;
export const P_GRAD = 3;
export const partialStride = (cols: number): number => cols + 3;

/** Rows per chunk of the FIXED partition. Part of the determinism contract: results depend on it, not on workers. */
export const CHUNK_ROWS = 1024;

/** log(1 + e^z) without overflow: max(z, 0) + log1p(e^{−|z|}). */
export function softplus(z: number): number {
  return (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** σ(z) without overflow in either tail. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log σ(z) = −softplus(−z), finite for every finite z (σ itself underflows to 0 below z ≈ −745). */
export function logSigmoid(z: number): number {
  return -softplus(-z);
}

/**
 * Adds the partial sums of rows [start, end) into out[off .. off + cols + 3).
 * `x` is row-major (rows × cols), `v`/`c` raw-space parameters, `w` per-row weights (null = all 1;
 * weight-0 rows contribute exactly 0). Rows go in blocks of four: each v_j load serves four dot products
 * and each gradient cell is loaded/stored once per four rows, which is what makes the kernel reach
 * >10 M rows/s (it is bound by memory traffic, not by exp/log1p). The summation order depends only on
 * `start`, which the fixed chunk partition pins. ℓ and r share one e^{−|z|} per row.
 * Precondition: 0 ≤ start ≤ end ≤ rows; out has room. Cost: O((end − start) · cols), no allocation.
 */
export function accumulateRange(
  x: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  cols: number,
  v: Float64Array,
  c: number,
  start: number,
  end: number,
  out: Float64Array,
  off: number,
): void {
  let loss = 0;
  let wsum = 0;
  let gb = 0;
  const g0 = off + P_GRAD;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const o0 = i * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    let z0 = c;
    let z1 = c;
    let z2 = c;
    let z3 = c;
    for (let j = 0; j < cols; j++) {
      const vj = v[j];
      z0 += vj * x[o0 + j];
      z1 += vj * x[o1 + j];
      z2 += vj * x[o2 + j];
      z3 += vj * x[o3 + j];
    }
    const s0 = w === null ? 1 : w[i];
    const s1 = w === null ? 1 : w[i + 1];
    const s2 = w === null ? 1 : w[i + 2];
    const s3 = w === null ? 1 : w[i + 3];
    const y0 = y[i];
    const y1 = y[i + 1];
    const y2 = y[i + 2];
    const y3 = y[i + 3];
    const e0 = Math.exp(z0 >= 0 ? -z0 : z0);
    const e1 = Math.exp(z1 >= 0 ? -z1 : z1);
    const e2 = Math.exp(z2 >= 0 ? -z2 : z2);
    const e3 = Math.exp(z3 >= 0 ? -z3 : z3);
    loss +=
      s0 * ((z0 > 0 ? z0 : 0) + Math.log1p(e0) - y0 * z0) +
      s1 * ((z1 > 0 ? z1 : 0) + Math.log1p(e1) - y1 * z1) +
      s2 * ((z2 > 0 ? z2 : 0) + Math.log1p(e2) - y2 * z2) +
      s3 * ((z3 > 0 ? z3 : 0) + Math.log1p(e3) - y3 * z3);
    wsum += s0 + s1 + s2 + s3;
    const r0 = s0 * ((z0 >= 0 ? 1 / (1 + e0) : e0 / (1 + e0)) - y0);
    const r1 = s1 * ((z1 >= 0 ? 1 / (1 + e1) : e1 / (1 + e1)) - y1);
    const r2 = s2 * ((z2 >= 0 ? 1 / (1 + e2) : e2 / (1 + e2)) - y2);
    const r3 = s3 * ((z3 >= 0 ? 1 / (1 + e3) : e3 / (1 + e3)) - y3);
    gb += r0 + r1 + r2 + r3;
    for (let j = 0; j < cols; j++) {
      out[g0 + j] += r0 * x[o0 + j] + r1 * x[o1 + j] + (r2 * x[o2 + j] + r3 * x[o3 + j]);
    }
  }
  for (; i < end; i++) {
    const s = w === null ? 1 : w[i];
    const o = i * cols;
    let z = c;
    for (let j = 0; j < cols; j++) z += v[j] * x[o + j];
    const yi = y[i];
    const e = Math.exp(z >= 0 ? -z : z);
    loss += s * ((z > 0 ? z : 0) + Math.log1p(e) - yi * z);
    wsum += s;
    const r = s * ((z >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi);
    gb += r;
    for (let j = 0; j < cols; j++) out[g0 + j] += r * x[o + j];
  }
  out[off + P_LOSS] += loss;
  out[off + P_WEIGHT] += wsum;
  out[off + P_BIAS] += gb;
}

/**
 * Partials of chunks [chunkStart, chunkEnd) of the fixed CHUNK_ROWS partition, chunk k written (overwritten)
 * at out[k · stride]. Each chunk sums its rows in order, so a chunk's partial is bit-identical whichever
 * thread computes it. Cost: O(rows in those chunks · cols).
 */
export function chunkPartials(
  x: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  rows: number,
  cols: number,
  v: Float64Array,
  c: number,
  chunkStart: number,
  chunkEnd: number,
  chunkRows: number,
  out: Float64Array,
): void {
  const stride = partialStride(cols);
  for (let k = chunkStart; k < chunkEnd; k++) {
    const off = k * stride;
    out.fill(0, off, off + stride);
    accumulateRange(x, y, w, cols, v, c, k * chunkRows, Math.min(rows, (k + 1) * chunkRows), out, off);
  }
}

/** Number of chunks of the fixed partition. */
export const chunkCount = (rows: number, chunkRows = CHUNK_ROWS): number => Math.ceil(rows / chunkRows);

/**
 * Sums chunk partials in chunk order (0, 1, 2, …): a fixed order, hence identical floating-point results
 * for any worker count. Cost: O(chunks · stride).
 */
export function sumPartials(partials: Float64Array, chunks: number, stride: number): Float64Array {
  const total = new Float64Array(stride);
  for (let k = 0; k < chunks; k++) {
    const off = k * stride;
    for (let j = 0; j < stride; j++) total[j] += partials[off + j];
  }
  return total;
}

/** Raw-space parameters (v, c) of standardized θ = [w, b]. Cost: O(cols). */
export function rawParams(theta: Float64Array, st: Standardization): { v: Float64Array; c: number } {
  const cols = st.mean.length;
  const v = new Float64Array(cols);
  let c = theta[cols];
  for (let j = 0; j < cols; j++) {
    v[j] = theta[j] / st.std[j];
    c -= v[j] * st.mean[j];
  }
  return { v, c };
}

/**
 * Objective value and gradient in standardized space from the summed raw partials:
 * ∂f/∂w_j = (Σ s r x_j − μ_j Σ s r) / (σ_j W) + λ w_j, ∂f/∂b = Σ s r / W.
 * Precondition: sums[P_WEIGHT] > 0. Cost: O(cols).
 */
export function objectiveFromSums(
  sums: Float64Array,
  theta: Float64Array,
  st: Standardization,
  l2: number,
): { f: number; g: Float64Array } {
  const cols = st.mean.length;
  const W = sums[P_WEIGHT];
  const gb = sums[P_BIAS];
  const g = new Float64Array(cols + 1);
  let penalty = 0;
  for (let j = 0; j < cols; j++) {
    g[j] = (sums[P_GRAD + j] - st.mean[j] * gb) / (st.std[j] * W) + l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  g[cols] = gb / W;
  return { f: sums[P_LOSS] / W + 0.5 * l2 * penalty, g };
}

/**
 * Objective and gradient on the main thread, same chunking and summation order as the worker pool.
 * Used by tests (finite differences) and the inline evaluator. Cost: O(rows · cols).
 */
export function objective(
  x: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  rows: number,
  theta: Float64Array,
  st: Standardization,
  l2: number,
): { f: number; g: Float64Array } {
  const cols = st.mean.length;
  const { v, c } = rawParams(theta, st);
  const chunks = chunkCount(rows);
  const stride = partialStride(cols);
  const partials = new Float64Array(chunks * stride);
  chunkPartials(x, y, w, rows, cols, v, c, 0, chunks, CHUNK_ROWS, partials);
  return objectiveFromSums(sumPartials(partials, chunks, stride), theta, st, l2);
}

/** Logit of row `i` under standardized θ. Cost: O(cols). */
export function rowLogit(x: Float64Array, cols: number, i: number, theta: Float64Array, st: Standardization): number {
  let z = theta[cols];
  const o = i * cols;
  for (let j = 0; j < cols; j++) z += (theta[j] * (x[o + j] - st.mean[j])) / st.std[j];
  return z;
}
