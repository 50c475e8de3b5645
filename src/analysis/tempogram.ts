/**
 * Local tempo: a tempogram (the onset envelope's autocorrelation over overlapping windows) instead of one
 * autocorrelation of the whole track, so a louder, less periodic outro cannot drown the pulse of the rest, a
 * tempo change shows up where it happens, and a pulse-free passage is a low-clarity stretch rather than the
 * reason to refuse the whole track.
 */

/** Window length and hop, s. 8 s holds 8-16 beats at 60-120 BPM; the 2 s hop follows a tempo change within a bar or two. */
export const TEMPOGRAM_WINDOW_S = 8;
export const TEMPOGRAM_HOP_S = 2;

export interface Tempogram {
  /** Number of windows. */
  readonly nWindows: number;
  /** Lags 0 .. maxLag per window (row-major, nWindows x (maxLag + 1)): normalized autocorrelation, r[0] = 1. */
  readonly acf: Float64Array;
  readonly maxLag: number;
  /** Centre frame of each window. */
  readonly centers: Float64Array;
  /** Standard deviation of the envelope in each window (0 for a constant one): how much is going on there. */
  readonly spread: Float64Array;
  /** First frame and length (frames) of each window. */
  readonly starts: Int32Array;
  readonly length: number;
  readonly hop: number;
}

/**
 * Windowed autocorrelation. Window w covers frames [s, s + len); lag l pairs every frame t of the window with
 * t + l (which may lie beyond the window, so each lag sums the same number of terms and long lags are not biased
 * down), both centred on the window's mean. Each lag is normalized by the geometric mean of the
 * energies of the window and of its shifted copy (a correlation coefficient, r[0] = 1); all zeros for a constant
 * window. Tracks shorter than one window get a single window over everything.
 * Cost O(windows * len * maxLag), about 5e6 multiply-adds for 5 minutes at 43 frames/s.
 */
export function tempogram(env: ArrayLike<number>, frameRate: number, maxLag: number, windowS = TEMPOGRAM_WINDOW_S, hopS = TEMPOGRAM_HOP_S): Tempogram {
  const n = env.length;
  const len = Math.max(1, Math.min(n, Math.round(windowS * frameRate)));
  const hop = Math.max(1, Math.round(hopS * frameRate));
  const nWindows = n <= len ? 1 : 1 + Math.ceil((n - len) / hop);
  const L = maxLag + 1;
  const acf = new Float64Array(nWindows * L);
  const centers = new Float64Array(nWindows);
  const spread = new Float64Array(nWindows);
  const starts = new Int32Array(nWindows);
  const d = new Float64Array(len + maxLag);
  for (let w = 0; w < nWindows; w++) {
    const s = Math.min(w * hop, Math.max(0, n - len));
    starts[w] = s;
    centers[w] = s + len / 2;
    const e = Math.min(n, s + len + maxLag);
    // The window's own mean: a loud event in the lag region must not shift the window off zero (a constant offset
    // correlates perfectly with itself at every lag).
    let m = 0;
    for (let t = s; t < s + len; t++) m += env[t];
    m /= len;
    d.fill(0);
    for (let t = s; t < e; t++) d[t - s] = env[t] - m;
    let r0 = 0;
    for (let t = 0; t < len; t++) r0 += d[t] * d[t];
    spread[w] = Math.sqrt(r0 / len);
    if (!(r0 > 0)) continue;
    const row = w * L;
    // Energy of the shifted segment [l, l + len) from a running sum, so each lag is a correlation coefficient
    // (|r| <= 1): a loud event just past the window cannot blow up a quiet window's autocorrelation.
    let shifted = r0;
    for (let l = 0; l <= maxLag; l++) {
      if (l > 0) shifted += d[l + len - 1] * d[l + len - 1] - d[l - 1] * d[l - 1];
      let acc = 0;
      for (let t = 0; t < len; t++) acc += d[t] * d[t + l];
      const den = Math.sqrt(r0 * Math.max(shifted, 0));
      acf[row + l] = den > 0 ? acc / den : 0;
    }
  }
  return { nWindows, acf, maxLag, centers, spread, starts, length: len, hop };
}

/** Mean of the window rows (the whole-track view the old single autocorrelation gave, but without loud stretches dominating). Cost O(windows * maxLag). */
export function meanAcf(tg: Tempogram): Float64Array {
  const L = tg.maxLag + 1;
  const out = new Float64Array(L);
  for (let w = 0; w < tg.nWindows; w++) for (let l = 0; l < L; l++) out[l] += tg.acf[w * L + l];
  for (let l = 0; l < L; l++) out[l] /= tg.nWindows;
  return out;
}

/** Window w's autocorrelation row (a view, not a copy). Cost O(1). */
export function acfRow(tg: Tempogram, w: number): Float64Array {
  const L = tg.maxLag + 1;
  return tg.acf.subarray(w * L, (w + 1) * L);
}
