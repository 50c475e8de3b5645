/**
 * Splice and crossfade math for one jump: the single source of truth for what a listener hears.
 *
 * PURE and BROWSER-SAFE: no Node imports. The server renders labeling snippets with it and the
 * browser player (a later issue) plays jumps with it, so a label describes exactly what was heard.
 *
 * ## What a JUMP snippet contains (`planSplice`)
 * With `S = round(sourceTime·sr)`, `T = round(targetTime·sr)`, `P = round(pre·sr)`, `Q = round(post·sr)`
 * (every time → sample conversion rounds to the NEAREST sample, halves up, via `toSample`):
 *
 *   1. source samples `[A, S)` where `A = max(0, S − P)`            — the music before the jump;
 *   2. target samples `[T, B)` where `B = min(length, T + Q)`       — the music after it;
 *   joined at output index `spliceOffsetSamples = S − A` (the labeler's marker) by an equal-power
 *   crossfade CENTRED on the splice: `fadeBefore` samples before it and `fadeAfter` after it. Inside the
 *   fade the outgoing source keeps playing past `S` (samples `[S − fadeBefore, S + fadeAfter)`) while
 *   the incoming target starts early (samples `[T − fadeBefore, T + fadeAfter)`); they are summed with
 *   gains `cos(x·π/2)` and `sin(x·π/2)`, `x = (k + ½)/F`, so gains² sum to 1 at every sample.
 *
 *   Nominal fade `F = round(crossfadeMs·sr/1000)`, `fadeBefore = ⌊F/2⌋`, `fadeAfter = F − ⌊F/2⌋`.
 *   Each half is CLAMPED to the audio that exists: `fadeBefore ≤ min(S − A, T)` and
 *   `fadeAfter ≤ min(length − S, B − T)`. So a jump at the very start/end of the track or with a
 *   clip shorter than half the fade gets a shorter (possibly one-sided) fade, never silence or
 *   out-of-range reads. `fadeSamples = fadeBefore + fadeAfter`.
 *   Length: `totalSamples = (S − A) + (B − T)`; the fade does not change the length.
 *
 * ## What a REFERENCE clip contains (`planReference`)
 * What would have played without the jump: source samples `[A, min(length, S + Q))`, no fade;
 * `spliceOffsetSamples = S − A` marks where the jump would have happened.
 *
 * Times must lie inside the track (`0 ≤ t·sr ≤ length` after rounding); `pre`/`post` ≥ 0.
 */

/** A copy of `length` samples from input index `srcStart` to output index `outStart`. */
export interface Segment {
  readonly srcStart: number;
  readonly outStart: number;
  readonly length: number;
  /**
   * 'none': gain 1. 'out' / 'in': the fade-out (cos) / fade-in (sin) gain of the crossfade, sample k
   * of the segment using gain index k. Fade segments of one plan overlap and are summed.
   */
  readonly gain: 'none' | 'out' | 'in';
}

export interface SplicePlan {
  readonly kind: 'jump' | 'reference';
  readonly sampleRate: number;
  /** Segments in output order; together they cover `[0, totalSamples)` (fade segments overlap). */
  readonly segments: readonly Segment[];
  /** Output index of the splice (the jump point); for a reference clip, where it would have been. */
  readonly spliceOffsetSamples: number;
  readonly totalSamples: number;
  /** Actual crossfade length after clamping (= fadeBefore + fadeAfter); 0 for a reference clip. */
  readonly fadeSamples: number;
  readonly fadeBefore: number;
  readonly fadeAfter: number;
  /** Input sample ranges actually used, for logging and tests: [start, end). */
  readonly sourceRange: readonly [number, number];
  readonly targetRange: readonly [number, number];
}

export interface SpliceRequest {
  /** Seconds into the track where the player left. */
  readonly sourceTime: number;
  /** Seconds into the track where the player landed. */
  readonly targetTime: number;
  /** Seconds of audio before the jump. */
  readonly pre: number;
  /** Seconds of audio after the jump. */
  readonly post: number;
  /** Nominal crossfade length in milliseconds (0 = hard cut). */
  readonly crossfadeMs: number;
  readonly sampleRate: number;
  /** Track length in samples (per channel). */
  readonly length: number;
}

/** Thrown for a request that cannot be planned; `field` names the offending input. */
export class SpliceRangeError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'SpliceRangeError';
    this.field = field;
  }
}

/**
 * Seconds → sample index, rounding to the nearest sample (halves up). The ONE rounding rule used for
 * every position here. Precondition: finite inputs. Cost O(1).
 */
export function toSample(seconds: number, sampleRate: number): number {
  return Math.round(seconds * sampleRate);
}

/**
 * Fade-in gain of the equal-power (quarter-wave) curve at position `t` ∈ [0, 1]: `sin(t·π/2)`.
 * The matching fade-out gain is `equalPowerGain(1 − t)` = `cos(t·π/2)`; their squares sum to 1.
 * Precondition: 0 ≤ t ≤ 1 (values outside are clamped). Cost O(1).
 */
export function equalPowerGain(t: number): number {
  const x = t <= 0 ? 0 : t >= 1 ? 1 : t;
  return Math.sin((x * Math.PI) / 2);
}

/**
 * The `n` fade-in gains of a crossfade, sampled at the centre of each sample: `g[k] = sin(((k+½)/n)·π/2)`.
 * The fade-out gains are the same array reversed (`g[n−1−k] = cos(((k+½)/n)·π/2)`), so one array serves
 * both directions and `g[k]² + g[n−1−k]² = 1`. Precondition: n ≥ 0 integer. Cost O(n), allocates n floats.
 */
export function equalPowerGains(n: number): Float32Array {
  const g = new Float32Array(n);
  for (let k = 0; k < n; k++) g[k] = equalPowerGain((k + 0.5) / n);
  return g;
}

function check(req: SpliceRequest): { S: number; T: number; P: number; Q: number; sr: number; len: number } {
  const { sourceTime, targetTime, pre, post, crossfadeMs, sampleRate, length } = req;
  const finite = (v: number, field: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SpliceRangeError(field, `${field} must be a finite number (got ${v})`);
  };
  finite(sampleRate, 'sampleRate');
  if (sampleRate <= 0) throw new SpliceRangeError('sampleRate', `sampleRate must be > 0 (got ${sampleRate})`);
  if (!Number.isSafeInteger(length) || length < 0) throw new SpliceRangeError('length', `length must be a non-negative integer (got ${length})`);
  for (const [v, f] of [[sourceTime, 'sourceTime'], [targetTime, 'targetTime'], [pre, 'pre'], [post, 'post'], [crossfadeMs, 'crossfadeMs']] as const) finite(v, f);
  if (pre < 0) throw new SpliceRangeError('pre', `pre must be ≥ 0 seconds (got ${pre})`);
  if (post < 0) throw new SpliceRangeError('post', `post must be ≥ 0 seconds (got ${post})`);
  if (crossfadeMs < 0) throw new SpliceRangeError('crossfadeMs', `crossfadeMs must be ≥ 0 (got ${crossfadeMs})`);
  const dur = length / sampleRate;
  const S = toSample(sourceTime, sampleRate);
  const T = toSample(targetTime, sampleRate);
  if (S < 0 || S > length) {
    throw new SpliceRangeError('sourceTime', `sourceTime ${sourceTime}s lies outside the track (0–${dur.toFixed(3)}s)`);
  }
  if (T < 0 || T > length) {
    throw new SpliceRangeError('targetTime', `targetTime ${targetTime}s lies outside the track (0–${dur.toFixed(3)}s)`);
  }
  return { S, T, P: toSample(pre, sampleRate), Q: toSample(post, sampleRate), sr: sampleRate, len: length };
}

/**
 * Plans a jump snippet (see the module comment for the exact contents). Throws SpliceRangeError for
 * times outside the track or invalid numbers. Cost O(1); allocates a few small objects.
 */
export function planSplice(req: SpliceRequest): SplicePlan {
  const { S, T, P, Q, sr, len } = check(req);
  const A = Math.max(0, S - P);
  const B = Math.min(len, T + Q);
  const F = toSample(req.crossfadeMs / 1000, sr);
  const fadeBefore = Math.min(Math.floor(F / 2), S - A, T);
  const fadeAfter = Math.min(F - Math.floor(F / 2), len - S, B - T);
  const splice = S - A;
  const fade = fadeBefore + fadeAfter;
  const segments: Segment[] = [];
  const push = (s: Segment) => {
    if (s.length > 0) segments.push(s);
  };
  push({ srcStart: A, outStart: 0, length: splice - fadeBefore, gain: 'none' });
  push({ srcStart: S - fadeBefore, outStart: splice - fadeBefore, length: fade, gain: 'out' });
  push({ srcStart: T - fadeBefore, outStart: splice - fadeBefore, length: fade, gain: 'in' });
  push({ srcStart: T + fadeAfter, outStart: splice + fadeAfter, length: B - T - fadeAfter, gain: 'none' });
  return {
    kind: 'jump',
    sampleRate: sr,
    segments,
    spliceOffsetSamples: splice,
    totalSamples: splice + (B - T),
    fadeSamples: fade,
    fadeBefore,
    fadeAfter,
    sourceRange: [A, S + fadeAfter],
    targetRange: [T - fadeBefore, B],
  };
}

/**
 * Plans the reference clip (no jump): source `[A, min(length, S + Q))`. `targetTime` and
 * `crossfadeMs` are validated but unused. Cost O(1).
 */
export function planReference(req: SpliceRequest): SplicePlan {
  const { S, P, Q, sr, len } = check(req);
  const A = Math.max(0, S - P);
  const E = Math.min(len, S + Q);
  return {
    kind: 'reference',
    sampleRate: sr,
    segments: E > A ? [{ srcStart: A, outStart: 0, length: E - A, gain: 'none' }] : [],
    spliceOffsetSamples: S - A,
    totalSamples: E - A,
    fadeSamples: 0,
    fadeBefore: 0,
    fadeAfter: 0,
    sourceRange: [A, E],
    targetRange: [S, S],
  };
}

/**
 * The crossfade alone, as a plan of its own: the plan's fade segments shifted so the fade starts at
 * output index 0 (`totalSamples = fadeSamples`). With it a caller can take the gain-1 segments of a plan
 * straight from the source (e.g. encode them directly) and run `renderSplice` only on the fade, without
 * re-implementing the crossfade. The fade begins at output index `spliceOffsetSamples − fadeBefore` of
 * the full plan. Cost O(1).
 */
export function fadeWindow(plan: SplicePlan): SplicePlan {
  const start = plan.spliceOffsetSamples - plan.fadeBefore;
  return {
    ...plan,
    segments: plan.segments.filter((s) => s.gain !== 'none').map((s) => ({ ...s, outStart: s.outStart - start })),
    spliceOffsetSamples: plan.fadeBefore,
    totalSamples: plan.fadeSamples,
  };
}

/**
 * Renders a plan: for each channel, `out[c]` receives the planned samples of `channels[c]`.
 * Preconditions: `out.length === channels.length`, every `out[c].length ≥ plan.totalSamples`, and every
 * input channel has the `length` the plan was made for. `out` need not be zeroed (it is overwritten).
 * Cost O(channels · totalSamples); plain copies use `TypedArray.set` (memcpy), only the fade is a loop.
 * Allocates one gain array of fadeSamples floats (reusable via `gains`).
 */
export function renderSplice(
  channels: readonly Float32Array[],
  plan: SplicePlan,
  out: readonly Float32Array[],
  gains: Float32Array = equalPowerGains(plan.fadeSamples),
): void {
  if (out.length !== channels.length) throw new RangeError(`renderSplice: ${channels.length} input channels but ${out.length} outputs`);
  if (gains.length !== plan.fadeSamples) throw new RangeError('renderSplice: gains length must equal plan.fadeSamples');
  const n = plan.fadeSamples;
  for (let c = 0; c < channels.length; c++) {
    const src = channels[c];
    const dst = out[c];
    if (dst.length < plan.totalSamples) throw new RangeError(`renderSplice: output channel ${c} holds ${dst.length} < ${plan.totalSamples} samples`);
    for (const seg of plan.segments) {
      if (seg.srcStart < 0 || seg.srcStart + seg.length > src.length) {
        throw new RangeError(`renderSplice: segment [${seg.srcStart}, ${seg.srcStart + seg.length}) outside input of ${src.length} samples`);
      }
      if (seg.gain === 'none') {
        dst.set(src.subarray(seg.srcStart, seg.srcStart + seg.length), seg.outStart);
      } else if (seg.gain === 'out') {
        // Written first (overwrites); the 'in' segment that follows adds onto it.
        for (let k = 0; k < seg.length; k++) dst[seg.outStart + k] = src[seg.srcStart + k] * gains[n - 1 - k];
      } else {
        for (let k = 0; k < seg.length; k++) dst[seg.outStart + k] += src[seg.srcStart + k] * gains[k];
      }
    }
  }
}
