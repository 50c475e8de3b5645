/**
 * Per-beat confidence. A beat is trustworthy when the stretch it sits in pulses (the tempogram's local clarity)
 * and when the beats around it land on onsets (a pulse-free break the tracker carried the grid through has none).
 * The candidate graph and the player never jump from or to a beat below MIN_JUMP_CONFIDENCE: a splice on a beat
 * that may not be one would land off the beat.
 */

/** Local clarity at or above this counts as a fully clear pulse. Corpus tracks with drums read 0.3 - 0.9. */
export const CLARITY_FULL = 0.25;
/** Beats either side whose onsets support a beat (a bar of 4 around it). */
export const SUPPORT_RADIUS = 2;
/** Below this a beat is not a jump point (a beat in a break reads near 0, an ordinary beat near 1). */
export const MIN_JUMP_CONFIDENCE = 0.3;

/**
 * confidence_i = min(1, clarity_i / CLARITY_FULL) * min(1, mean local score over beats i-2 .. i+2 / median local
 * score over all beats). `local` is the tracker's local score per frame, `clarity` the clarity at each beat.
 * Precondition: clarity.length === beatFrames.length. Cost O(beats log beats).
 */
export function beatConfidence(local: ArrayLike<number>, beatFrames: Int32Array, clarity: ArrayLike<number>): Float32Array {
  const nb = beatFrames.length;
  const at = Float64Array.from(beatFrames, (f) => Math.max(0, local[f]));
  const sorted = Float64Array.from(at).sort();
  const med = nb === 0 ? 0 : nb % 2 ? sorted[nb >> 1] : (sorted[nb / 2 - 1] + sorted[nb / 2]) / 2;
  const out = new Float32Array(nb);
  for (let i = 0; i < nb; i++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - SUPPORT_RADIUS); j <= Math.min(nb - 1, i + SUPPORT_RADIUS); j++) {
      s += at[j];
      c++;
    }
    const support = med > 0 ? Math.min(1, s / c / med) : 0;
    out[i] = Math.min(1, Math.max(0, clarity[i]) / CLARITY_FULL) * support;
  }
  return out;
}
