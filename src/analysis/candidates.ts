import type { JumpFeatureInput } from '../policy/features.js';
import { N_MFCC } from './beatsync.js';
import { MIN_JUMP_CONFIDENCE } from './confidence.js';

/**
 * The jump-candidate graph. A candidate i -> j means "play beat j instead of beat i" (see types.ts); it is
 * seamless when the context around the splice matches: the beats before i against those before j (what the
 * listener just heard vs what normally leads into j) and beat i onwards against beat j onwards.
 */

/**
 * THE distance weights, in one place. A beat-pair distance is the weighted mean of these components, each
 * divided by its mean over all beat pairs of the track (so the weights compare like with like and a typical
 * pair scores about 1):
 *   timbre   — Euclidean distance of MFCC 1..12 (coefficient 0, the level, is covered by `loudness`)
 *   chroma   — cosine distance of the 12-bin chroma (harmony)
 *   loudness — |loudness_max difference| in dB
 *   onset    — |beat onset strength difference| (a drum hit vs none)
 *   duration — |log(duration ratio)| (tempo drift)
 * A component's scale is max(its mean, its floor below): the floors are "just noticeable" differences, so a
 * component that hardly varies in this track (steady loudness in a loop) is not blown up into noise.
 * The context distance is the weighted mean of beat-pair distances at the offsets below (relative to i and
 * j), skipping offsets that fall outside the track.
 */
export const DISTANCE_WEIGHTS = Object.freeze({
  timbre: 1.0,
  chroma: 1.0,
  loudness: 0.5,
  onset: 0.5,
  duration: 0.25,
  /** Scale floors per component (MFCC units, cosine distance, dB, normalized onset, log ratio). */
  floors: Object.freeze({ timbre: 5, chroma: 0.05, loudness: 3, onset: 0.5, duration: Math.log(1.05) }),
  /** [offset, weight]: two beats before the splice and two after it, nearer beats weigh more. */
  context: Object.freeze([
    [-2, 0.5],
    [-1, 1.0],
    [0, 1.0],
    [1, 0.5],
  ] as const),
});

/**
 * Classic auto threshold: search start, start + step, ... for the first threshold giving >= coverage of the beats a
 * candidate. Distances are in units of the typical beat-pair distance (about 0.7 - 1), so the grid starts at
 * "five times closer than a typical pair": sample-identical repeats measure 0.01 - 0.15 (frame jitter).
 */
export const AUTO_THRESHOLD = Object.freeze({ start: 0.2, step: 0.05, coverage: 1 / 6 });
/** The last-branch pass looks for a backward jump within this many beats of the end. */
export const TAIL_BEATS = 16;

export interface CandidateInput {
  readonly nBeats: number;
  /** nBeats x 13 MFCC. */
  readonly mfcc: Float32Array;
  /** nBeats x 12 chroma (non-negative). */
  readonly chroma: Float32Array;
  readonly loudnessMax: Float32Array;
  /** Onset strength per beat in normalized units. */
  readonly onset: Float32Array;
  /** Seconds. */
  readonly duration: Float32Array;
  readonly barPosition: Uint8Array;
  /** Section label index per beat (equal = same label). */
  readonly sectionLabel: Int32Array;
  /** Beat confidence, 0..1 (confidence.ts); omitted = every beat is trusted. */
  readonly confidence?: Float32Array;
}

export interface CandidateParams {
  readonly maxCandidates: number;
  readonly minSpan: number;
  /** Fixed threshold, or undefined to auto-tune. */
  readonly threshold: number | undefined;
  /** Beats below this confidence are never a source or a target (default MIN_JUMP_CONFIDENCE). */
  readonly minConfidence?: number;
}

export interface RawCandidate {
  target: number;
  distance: number;
  forced: boolean;
  features: Required<{ [K in keyof JumpFeatureInput]: NonNullable<JumpFeatureInput[K]> }>;
}

export interface CandidateGraph {
  readonly threshold: number;
  readonly lastBranchBeat: number;
  readonly candidates: RawCandidate[][];
}

/** Euclidean distance of MFCC 1..12 of beats a and b. Cost O(12). */
export function timbreDistance(mfcc: Float32Array, a: number, b: number): number {
  let s = 0;
  for (let k = 1; k < N_MFCC; k++) {
    const e = mfcc[a * N_MFCC + k] - mfcc[b * N_MFCC + k];
    s += e * e;
  }
  return Math.sqrt(s);
}

/** Cosine distance 1 - cos of two non-negative 12-bin chroma rows, in [0, 1]; 0 when both are silent, 1 when one is. Cost O(12). */
export function chromaDistance(chroma: Float32Array, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let c = 0; c < 12; c++) {
    const x = chroma[a * 12 + c];
    const y = chroma[b * 12 + c];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 0;
  if (na === 0 || nb === 0) return 1;
  return Math.min(1, Math.max(0, 1 - dot / Math.sqrt(na * nb)));
}

/**
 * Smallest threshold on the classic grid (start + k * step) at which at least ceil(coverage * n) of the
 * per-beat best distances `best` are <= it (Infinity entries are beats with no valid jump). Returns `start`
 * when no beat has a valid jump. Cost O(n log n).
 */
export function autoThreshold(best: Float64Array, cfg = AUTO_THRESHOLD): number {
  const finite = Array.from(best).filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return cfg.start;
  const need = Math.max(1, Math.ceil(cfg.coverage * best.length));
  const q = finite[Math.min(finite.length, need) - 1];
  if (q <= cfg.start) return cfg.start;
  // Grid value, with a tiny epsilon so floating error never puts q just above its own grid point.
  const k = Math.ceil((q - cfg.start) / cfg.step - 1e-9);
  return cfg.start + k * cfg.step;
}

/**
 * Pairwise beat distances (n x n, symmetric, zero diagonal) with each component scaled by its mean over all
 * pairs. Cost O(n^2 * 25) time, 4 n^2 bytes.
 */
export function beatDistanceMatrix(x: CandidateInput): Float32Array {
  const n = x.nBeats;
  const W = DISTANCE_WEIGHTS;
  const comps = 5;
  // First pass: component means over pairs a < b.
  const sums = new Float64Array(comps);
  const logDur = new Float64Array(n);
  for (let i = 0; i < n; i++) logDur[i] = Math.log(Math.max(1e-6, x.duration[i]));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      sums[0] += timbreDistance(x.mfcc, a, b);
      sums[1] += chromaDistance(x.chroma, a, b);
      sums[2] += Math.abs(x.loudnessMax[a] - x.loudnessMax[b]);
      sums[3] += Math.abs(x.onset[a] - x.onset[b]);
      sums[4] += Math.abs(logDur[a] - logDur[b]);
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const w = [W.timbre, W.chroma, W.loudness, W.onset, W.duration];
  const wsum = w.reduce((s, v) => s + v, 0);
  // Per-component multiplier weight / (scale * wsum).
  const F = W.floors;
  const floors = [F.timbre, F.chroma, F.loudness, F.onset, F.duration];
  const mul = new Float64Array(comps);
  for (let c = 0; c < comps; c++) {
    const m = Math.max(pairs > 0 ? sums[c] / pairs : 0, floors[c]);
    mul[c] = w[c] / (m * wsum);
  }
  const d = new Float32Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const v =
        mul[0] * timbreDistance(x.mfcc, a, b) +
        mul[1] * chromaDistance(x.chroma, a, b) +
        mul[2] * Math.abs(x.loudnessMax[a] - x.loudnessMax[b]) +
        mul[3] * Math.abs(x.onset[a] - x.onset[b]) +
        mul[4] * Math.abs(logDur[a] - logDur[b]);
      d[a * n + b] = v;
      d[b * n + a] = v;
    }
  }
  return d;
}

/** Context distance of the splice i -> j from the beat distance matrix (see DISTANCE_WEIGHTS.context). Cost O(context). */
export function contextDistance(d: Float32Array, n: number, i: number, j: number): number {
  let s = 0;
  let ws = 0;
  for (const [o, w] of DISTANCE_WEIGHTS.context) {
    const a = i + o;
    const b = j + o;
    if (a < 0 || b < 0 || a >= n || b >= n) continue;
    s += w * d[a * n + b];
    ws += w;
  }
  return ws > 0 ? s / ws : Infinity;
}

function features(x: CandidateInput, i: number, j: number, dist: number): RawCandidate['features'] {
  const di = x.duration[i];
  const dj = x.duration[j];
  return {
    similarity: Math.exp(-dist),
    span: j - i,
    n_beats: x.nBeats,
    same_section: x.sectionLabel[i] === x.sectionLabel[j],
    bar_position_match: x.barPosition[i] === x.barPosition[j],
    loudness_delta_db: Math.abs(x.loudnessMax[i] - x.loudnessMax[j]),
    timbre_distance: timbreDistance(x.mfcc, i, j),
    chroma_distance: chromaDistance(x.chroma, i, j),
    beat_duration_ratio: di > 0 && dj > 0 ? Math.max(di, dj) / Math.min(di, dj) : 1,
    onset_mismatch: Math.abs(x.onset[i] - x.onset[j]),
  };
}

/**
 * Builds the graph: valid pairs need |j - i| >= minSpan, equal bar positions and both beats at or above
 * minConfidence (a splice on a beat the tracker is unsure of, e.g. one it carried through a pulse-free break,
 * could land off the beat; the forced last-branch jump obeys this too); each beat keeps its
 * maxCandidates nearest targets (ties broken by target index, so the output is deterministic) with
 * distance <= threshold. Then the last-branch pass. Cost O(n^2 * 30).
 */
export function buildCandidates(x: CandidateInput, p: CandidateParams): CandidateGraph {
  const n = x.nBeats;
  const d = beatDistanceMatrix(x);
  const D = new Float32Array(n * n).fill(Infinity);
  const best = new Float64Array(n).fill(Infinity);
  const minConf = p.minConfidence ?? MIN_JUMP_CONFIDENCE;
  const trusted = (i: number): boolean => x.confidence === undefined || x.confidence[i] >= minConf;
  for (let i = 0; i < n; i++) {
    if (!trusted(i)) continue;
    for (let j = 0; j < n; j++) {
      if (Math.abs(j - i) < p.minSpan || x.barPosition[i] !== x.barPosition[j] || !trusted(j)) continue;
      const v = contextDistance(d, n, i, j);
      D[i * n + j] = v;
      if (v < best[i]) best[i] = v;
    }
  }
  const threshold = p.threshold ?? autoThreshold(best);
  const lists: number[][] = [];
  for (let i = 0; i < n; i++) {
    const js: number[] = [];
    if (p.maxCandidates > 0) {
      for (let j = 0; j < n; j++) if (D[i * n + j] <= threshold) js.push(j);
      js.sort((a, b) => D[i * n + a] - D[i * n + b] || a - b);
    }
    lists.push(js.slice(0, p.maxCandidates));
  }
  const forced = new Int32Array(n).fill(-1);
  // Last-branch pass: make sure a backward jump exists near the end, else add the best one above threshold.
  let lastBranch = -1;
  for (let i = n - 1; i >= 0 && lastBranch < 0; i--) if (lists[i].some((j) => j < i)) lastBranch = i;
  if (n > 0 && lastBranch < n - TAIL_BEATS) {
    let bi = -1;
    let bj = -1;
    let bv = Infinity;
    for (let i = Math.max(0, n - TAIL_BEATS); i < n; i++) {
      for (let j = 0; j <= i - p.minSpan; j++) {
        const v = D[i * n + j];
        if (v < bv || (v === bv && i > bi)) {
          bv = v;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi >= 0 && Number.isFinite(bv)) {
      forced[bi] = bj;
      lastBranch = bi;
    }
  }
  const candidates: RawCandidate[][] = [];
  for (let i = 0; i < n; i++) {
    const out: RawCandidate[] = [];
    // A jump past the last branch point would run into the end with no way back: drop it.
    for (const j of lists[i]) if (lastBranch < 0 || j <= lastBranch) out.push({ target: j, distance: D[i * n + j], forced: false, features: features(x, i, j, D[i * n + j]) });
    const f = forced[i];
    if (f >= 0) out.push({ target: f, distance: D[i * n + f], forced: true, features: features(x, i, f, D[i * n + f]) });
    candidates.push(out);
  }
  return { threshold, lastBranchBeat: lastBranch, candidates };
}
