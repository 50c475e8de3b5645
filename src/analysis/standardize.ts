/**
 * Column standardization of a row-major matrix (rows x dims): zero mean, unit variance per column.
 * Constant columns become 0 rather than NaN. Returns a new array. Cost O(rows * dims).
 */
export function standardizeColumns(x: Float32Array, rows: number, dims: number): Float32Array {
  const out = new Float32Array(rows * dims);
  for (let d = 0; d < dims; d++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += x[r * dims + d];
    m = rows > 0 ? m / rows : 0;
    let v = 0;
    for (let r = 0; r < rows; r++) {
      const e = x[r * dims + d] - m;
      v += e * e;
    }
    const s = rows > 1 ? Math.sqrt(v / (rows - 1)) : 0;
    for (let r = 0; r < rows; r++) out[r * dims + d] = s > 1e-9 ? (x[r * dims + d] - m) / s : 0;
  }
  return out;
}

/** Standardizes a vector (population of values); constant input gives zeros. Cost O(n). */
export function zscore(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (n < 2) return out;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) ** 2;
  const s = Math.sqrt(v / (n - 1));
  if (!(s > 1e-12)) return out;
  for (let i = 0; i < n; i++) out[i] = (x[i] - m) / s;
  return out;
}
