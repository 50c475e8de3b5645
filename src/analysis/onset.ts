/**
 * Onset strength by spectral flux on a log-compressed mel spectrogram: the mean over bands of the positive
 * first difference of log(1 + GAMMA * p / max). Like librosa's dB flux, the log makes the flux respond to
 * relative change; unlike a plain dB flux, the compression goes linear near silence, so a quiet hi-hat rising
 * out of the -80 dB floor across many high bands cannot outweigh a kick or a chord (plain dB flux locks beat
 * trackers onto loud off-beat hats).
 */

/** Compression strength: bands more than about 10 log10(GAMMA) dB below the loudest contribute nearly linearly. */
export const FLUX_GAMMA = 1e4;
/**
 * Milder compression for the tempo octave check: closer to loudness, so a quiet hi-hat or a re-struck bass note
 * counts for less than a kick or snare when deciding which metrical level is the beat.
 */
export const PULSE_GAMMA = 100;

export const TOP_DB = 80;

/**
 * Converts mel powers (frames x nMels, row-major) to dB in place: 10 log10(p / max), floored at -TOP_DB.
 * Returns the reference max power (0 for an all-zero input, in which case everything becomes -TOP_DB).
 * Cost O(frames * nMels).
 */
export function melToDbInPlace(mel: Float32Array): number {
  let ref = 0;
  for (let i = 0; i < mel.length; i++) if (mel[i] > ref) ref = mel[i];
  const floorP = ref * 10 ** (-TOP_DB / 10);
  for (let i = 0; i < mel.length; i++) {
    const p = mel[i];
    mel[i] = ref > 0 && p > floorP ? 10 * Math.log10(p / ref) : -TOP_DB;
  }
  return ref;
}

/**
 * Spectral flux of mel powers (frames x nMels, row-major) under log(1 + gamma * p / ref), ref = the
 * largest mel power (env all 0 when ref is 0). Cost O(frames * nMels).
 */
export function compressedFlux(mel: Float32Array, nFrames: number, nMels: number, gamma = FLUX_GAMMA): Float32Array {
  let ref = 0;
  for (let i = 0; i < mel.length; i++) if (mel[i] > ref) ref = mel[i];
  const env = new Float32Array(nFrames);
  if (!(ref > 0)) return env;
  const g = gamma / ref;
  let prev = new Float64Array(nMels);
  let cur = new Float64Array(nMels);
  for (let m = 0; m < nMels; m++) prev[m] = Math.log1p(g * mel[m]);
  for (let t = 1; t < nFrames; t++) {
    let s = 0;
    const a = t * nMels;
    for (let m = 0; m < nMels; m++) {
      const v = Math.log1p(g * mel[a + m]);
      cur[m] = v;
      const d = v - prev[m];
      if (d > 0) s += d;
    }
    env[t] = s / nMels;
    [prev, cur] = [cur, prev];
  }
  return env;
}

/**
 * Spectral flux of a dB spectrogram: env[t] = mean_m max(0, S[t, m] - S[t - 1, m]), env[0] = 0. Precondition: melDb is
 * nFrames x nMels row-major. Cost O(frames * nMels).
 */
export function spectralFlux(melDb: Float32Array, nFrames: number, nMels: number): Float32Array {
  const env = new Float32Array(nFrames);
  for (let t = 1; t < nFrames; t++) {
    let s = 0;
    const a = t * nMels;
    const b = a - nMels;
    for (let m = 0; m < nMels; m++) {
      const d = melDb[a + m] - melDb[b + m];
      if (d > 0) s += d;
    }
    env[t] = s / nMels;
  }
  return env;
}
