import { std } from './numeric.js';

/**
 * Beat tracking by dynamic programming (Ellis 2007, the method of librosa's beat_track): every frame
 * gets the best cumulative score of a beat sequence ending there, trading onset strength against
 * deviation from the tempo period (log-squared penalty, `tightness`); the best sequence is backtracked
 * from the best cumulative score near the last strong onset, then weak leading/trailing beats are trimmed.
 */

export const DEFAULT_TIGHTNESS = 100;

/**
 * Local score: the std-normalized envelope smoothed by a Gaussian of width period / 32 (librosa's
 * __beat_local_score), so a beat lands on the energy centre of an onset. Cost O(n * period).
 */
export function localScore(env: ArrayLike<number>, period: number): Float64Array {
  const n = env.length;
  const s = std(env);
  const out = new Float64Array(n);
  if (!(s > 0)) return out;
  const half = Math.max(1, Math.round(period));
  const kernel = new Float64Array(2 * half + 1);
  for (let k = -half; k <= half; k++) kernel[k + half] = Math.exp(-0.5 * ((k * 32) / period) ** 2);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    const lo = Math.max(0, i - half);
    const hi = Math.min(n - 1, i + half);
    for (let j = lo; j <= hi; j++) acc += (env[j] / s) * kernel[j - i + half];
    out[i] = acc;
  }
  return out;
}

/**
 * DP over frames. `period` is the beat period in frames (fractional allowed, >= 2), either one number or one
 * per frame (a local tempo curve, so the tracker follows drift and tempo changes): the predecessors of frame i
 * are 0.5 .. 2 local periods back, each paying -tightness * log(gap / period(i))^2. Returns beat frame indices in
 * increasing order (empty when nothing scores). Cost O(n * period).
 */
export function trackBeats(local: Float64Array, period: number | Float64Array, tightness = DEFAULT_TIGHTNESS): Int32Array {
  const n = local.length;
  const periodAt = typeof period === 'number' ? () => period : (i: number) => period[i];
  if (typeof period !== 'number' && period.length !== n) throw new RangeError('trackBeats: one period per frame expected');
  if (n === 0 || !(typeof period === 'number' ? period >= 2 : period.every((p) => p >= 2))) return new Int32Array(0);
  let maxLocal = 0;
  for (let i = 0; i < n; i++) if (local[i] > maxLocal) maxLocal = local[i];
  const cum = new Float64Array(n);
  const back = new Int32Array(n).fill(-1);
  // Frames before the first real onset are not beats: they are never predecessors, so the first onset starts a
  // fresh sequence instead of paying a tempo penalty for a link into silence.
  const started = new Uint8Array(n);
  let firstBeat = true;
  for (let i = 0; i < n; i++) {
    let best = 0; // no predecessor: the sequence starts here
    let bestJ = -1;
    let bestSet = false;
    const p = periodAt(i);
    const wLo = -Math.round(2 * p); // most distant predecessor offset
    const wHi = -Math.max(1, Math.round(p / 2)); // nearest predecessor offset
    for (let off = wLo; off <= wHi; off++) {
      const j = i + off;
      if (j < 0 || !started[j]) continue;
      const l = Math.log(-off / p);
      const v = -tightness * l * l + cum[j];
      if (!bestSet || v > best) {
        best = v;
        bestJ = j;
        bestSet = true;
      }
    }
    // Before the first real onset, chaining through silence is pointless: start fresh.
    if (firstBeat && local[i] < 0.01 * maxLocal) {
      cum[i] = local[i];
      back[i] = -1;
    } else {
      cum[i] = local[i] + (bestSet ? best : 0);
      back[i] = bestSet ? bestJ : -1;
      firstBeat = false;
      started[i] = 1;
    }
  }
  // Tail: the best cumulative score within one period before the last strong onset. (librosa takes the last
  // cumulative-score peak above half the median peak; after the music ends that peak can sit off the beat, and
  // backtracking from it drags the last bars off-phase.)
  let rms = 0;
  for (let i = 0; i < n; i++) rms += local[i] * local[i];
  rms = Math.sqrt(rms / n);
  let lastStrong = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (local[i] >= 0.5 * rms && local[i] >= local[i - 1 < 0 ? 0 : i - 1] && (i + 1 >= n || local[i] >= local[i + 1])) {
      lastStrong = i;
      break;
    }
  }
  if (lastStrong < 0) return new Int32Array(0);
  let tail = lastStrong;
  for (let i = Math.max(0, lastStrong - Math.round(periodAt(lastStrong))); i <= lastStrong; i++) if (cum[i] > cum[tail]) tail = i;
  const rev: number[] = [];
  for (let i = tail; i >= 0; i = back[i]) rev.push(i);
  rev.reverse();
  return trimBeats(local, Int32Array.from(rev));
}

/**
 * Removes weak beats at both ends: those whose Hann-smoothed local score is at most half the RMS of the
 * smoothed scores (librosa's __trim_beats), e.g. beats the DP extrapolated into silence. Cost O(beats).
 */
export function trimBeats(local: Float64Array, beats: Int32Array): Int32Array {
  const nb = beats.length;
  if (nb === 0) return beats;
  const w = [0.25, 0.75, 1, 0.75, 0.25]; // hann(5) without its zero ends
  const sm = new Float64Array(nb);
  for (let i = 0; i < nb; i++) {
    let s = 0;
    for (let k = -2; k <= 2; k++) {
      const j = i + k;
      if (j >= 0 && j < nb) s += local[beats[j]] * w[k + 2];
    }
    sm[i] = s;
  }
  let ms = 0;
  for (let i = 0; i < nb; i++) ms += sm[i] * sm[i];
  const thr = 0.5 * Math.sqrt(ms / nb);
  let a = 0;
  let b = nb;
  // Also drop end beats whose own score is negligible: the smoothing lets a strong neighbour carry a beat the DP
  // extrapolated into silence (e.g. at frame 0, one period before the first onset).
  const own = 0.1 * Math.sqrt(ms / nb);
  while (a < b && (sm[a] <= thr || local[beats[a]] <= own)) a++;
  while (b > a && (sm[b - 1] <= thr || local[beats[b - 1]] <= own)) b--;
  return beats.slice(a, b);
}
