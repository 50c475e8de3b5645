import { HarmonizerError } from '../shared/errors.js';
import { buildCandidates } from './candidates.js';
import { beatSyncFeatures, N_MFCC } from './beatsync.js';
import { localScore, trackBeats } from './beats.js';
import { accumulateChroma, chromaMap } from './chroma.js';
import { applyMel, melFilterbank } from './mel.js';
import { estimateMeterAndDownbeats } from './meter.js';
import { beatConfidence } from './confidence.js';
import { downmix } from './downmix.js';
import { mean, median, percentile, powerToDb, round, std } from './numeric.js';
import { compressedFlux, melToDbInPlace, PULSE_GAMMA } from './onset.js';
import { resolveOptions, validatePcm, type AnalysisOptions } from './options.js';
import { resample } from './resample.js';
import { findSections, normalizeRows } from './sections.js';
import { standardizeColumns } from './standardize.js';
import { frameCount, frameMeanSquare, stftPower } from './stft.js';
import { clarityAtFrames, periodPerFrame, trackTempo } from './tempo-track.js';
import { toBeatJson, toCandidateJson } from './serialize.js';
import { ANALYSIS_VERSION, STAGES, type AnalysisResult, type StageName, type StageTimings, type TrackMeta } from './types.js';

/** Fixed analysis parameters (changing any of them changes the output: bump ANALYSIS_VERSION). */
export const ANALYSIS_PARAMS = Object.freeze({
  sampleRate: 22050,
  nFft: 2048,
  hop: 512,
  nMels: 64,
  fMin: 30,
  fMax: 11025,
  /** Shorter audio cannot hold enough beats for a tempo estimate. */
  minDurationS: 5,
  /** Peak level below this (dBFS) is treated as silence. */
  silenceDb: -60,
  /** "No beats" when no tempogram window reaches this clarity (autocorrelation at its beat period): steady tones, noise. */
  minClarity: 0.1,
  /** Fewer tracked beats than this is not a beat grid. */
  minBeats: 8,
});

/** Beats per run in the tempo estimate from the tracked beats. */
const TEMPO_SPAN = 8;

export interface PcmInput {
  readonly channels: readonly Float32Array[];
  readonly sampleRate: number;
}

class Stopwatch {
  readonly timings = Object.fromEntries(STAGES.map((s) => [s, 0])) as StageTimings;
  #t = performance.now();
  lap(stage: StageName): void {
    const now = performance.now();
    this.timings[stage] = round(now - this.#t, 2);
    this.#t = now;
  }
}

function noBeats(meta: Pick<TrackMeta, 'duration' | 'sample_rate' | 'downmix'>, warning: string, timings: StageTimings, clarity = 0): AnalysisResult {
  return {
    version: ANALYSIS_VERSION,
    status: 'no_beats',
    warning,
    track: {
      duration: round(meta.duration, 4),
      sample_rate: meta.sample_rate,
      analysis_sample_rate: ANALYSIS_PARAMS.sampleRate,
      tempo: 0,
      downmix: meta.downmix,
      tempo_confidence: round(Math.max(0, clarity), 4),
      meter: 4,
      n_beats: 0,
      threshold: 0,
      last_branch_beat: -1,
    },
    beats: [],
    sections: [],
    candidates: [],
    timings_ms: timings,
  };
}

/**
 * Analyzes decoded PCM: beats, per-beat features, sections and the jump-candidate graph.
 * Pure and deterministic (same input and options give the same result apart from `timings_ms`).
 * Throws INVALID_ARGUMENT for bad input or options; audio without a beat grid gives status 'no_beats'.
 * Cost: about O(n log nFft) for the signal stages plus O(beats^2) for the candidate graph.
 */
export function analyzePcm(input: PcmInput, opts?: AnalysisOptions): AnalysisResult {
  validatePcm(input);
  const o = resolveOptions(opts);
  try {
    return run(input, o);
  } catch (err) {
    if (err instanceof HarmonizerError) throw err;
    throw new HarmonizerError('ANALYSIS_FAILED', `analysis failed: ${(err as Error).message}`, { cause: err });
  }
}

function run(input: PcmInput, o: ReturnType<typeof resolveOptions>): AnalysisResult {
  const P = ANALYSIS_PARAMS;
  const sw = new Stopwatch();
  const duration = input.channels[0].length / input.sampleRate;
  // The mid, or the side when the mid has cancelled: phase-opposed channels must not read as silence (downmix.ts).
  const mix = downmix(input.channels);
  const meta = { duration, sample_rate: input.sampleRate, downmix: mix.kind };

  if (duration < P.minDurationS) {
    return noBeats(meta, `audio is too short for beat tracking (${duration.toFixed(2)} s < ${P.minDurationS} s)`, sw.timings);
  }
  const x = resample(mix.samples, input.sampleRate, P.sampleRate);
  sw.lap('resample');
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
  if (!(20 * Math.log10(peak || 1e-12) > P.silenceDb)) {
    return noBeats(meta, `audio is silent (peak below ${P.silenceDb} dBFS)`, sw.timings);
  }

  // One streamed STFT pass produces everything frame-level: mel powers, chroma and frame loudness.
  const nFrames = frameCount(x.length, P.hop);
  const bank = melFilterbank(P.nMels, P.nFft, P.sampleRate, P.fMin, P.fMax);
  const cmap = chromaMap(P.nFft, P.sampleRate);
  const mel = new Float32Array(nFrames * P.nMels);
  const frameChroma = new Float32Array(nFrames * 12);
  const frameDb = new Float32Array(nFrames);
  let winEnergy = 0;
  for (let i = 0; i < P.nFft; i++) winEnergy += (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / P.nFft)) ** 2;
  stftPower(x, P.nFft, P.hop, (t, power) => {
    applyMel(bank, power, mel, t * P.nMels);
    accumulateChroma(cmap, power, frameChroma, t * 12);
    frameDb[t] = powerToDb(frameMeanSquare(power, P.nFft, winEnergy));
  });
  sw.lap('stft');

  const env = compressedFlux(mel, nFrames, P.nMels);
  const pulseEnv = compressedFlux(mel, nFrames, P.nMels, PULSE_GAMMA);
  melToDbInPlace(mel); // from here on `mel` holds dB, for the timbre features
  sw.lap('onset');

  const fps = P.sampleRate / P.hop;
  const tempo = trackTempo(env, pulseEnv, fps);
  sw.lap('tempo');
  // "No beats" only when no stretch of the track pulses; otherwise weak stretches get low beat confidence.
  const bestClarity = Math.max(0, ...tempo.clarity);
  if (bestClarity < P.minClarity) {
    return noBeats(meta, `no steady pulse found (best local pulse clarity ${bestClarity.toFixed(3)} < ${P.minClarity})`, sw.timings, bestClarity);
  }
  const periods = periodPerFrame(tempo, nFrames);

  // The beat tracker follows both envelopes (each std-normalized): the strongly compressed one catches soft
  // onsets, the loudness-like one keeps the phase on the loud events (kick, snare) rather than bright off-beats.
  const beatEnv = new Float32Array(nFrames);
  const sa = std(env) || 1;
  const sb = std(pulseEnv) || 1;
  for (let t = 0; t < nFrames; t++) beatEnv[t] = env[t] / sa + pulseEnv[t] / sb;
  const local = localScore(beatEnv, median(tempo.periods));
  const beatFrames = trackBeats(local, periods, o.tightness);
  sw.lap('beats');
  const nb = beatFrames.length;
  if (nb < P.minBeats) {
    return noBeats(meta, `too few beats tracked (${nb} < ${P.minBeats})`, sw.timings, bestClarity);
  }

  // Tempo from the beats themselves: the median of the mean beat interval over runs of TEMPO_SPAN beats (robust to
  // a tempo change and a break like a median, but not quantized to whole frames like a single interval).
  const span = Math.min(TEMPO_SPAN, nb - 1);
  const ibiFrames: number[] = [];
  for (let i = 0; i + span < nb; i++) ibiFrames.push((beatFrames[i + span] - beatFrames[i]) / span);
  const bpm = (60 * fps) / percentile(ibiFrames, 50);

  const bf = beatSyncFeatures(beatFrames, nFrames, mel, P.nMels, frameChroma, frameDb, env);
  const beatOnsetMean = mean(bf.onset);
  const onsetNorm = new Float32Array(nb);
  for (let i = 0; i < nb; i++) onsetNorm[i] = beatOnsetMean > 0 ? bf.onset[i] / beatOnsetMean : 0;
  const starts = new Float64Array(nb);
  const durations = new Float32Array(nb);
  for (let i = 0; i < nb; i++) starts[i] = (beatFrames[i] * P.hop) / P.sampleRate;
  const ibis: number[] = [];
  for (let i = 0; i + 1 < nb; i++) ibis.push(starts[i + 1] - starts[i]);
  const medIbi = percentile(ibis, 50);
  for (let i = 0; i < nb; i++) {
    durations[i] = i + 1 < nb ? starts[i + 1] - starts[i] : Math.max(0.01, Math.min(medIbi, duration - starts[i]));
  }
  const confidence = beatConfidence(local, beatFrames, clarityAtFrames(tempo, beatFrames));
  sw.lap('features');

  const lowBand = new Float32Array(nb);
  for (let i = 0; i < nb; i++) {
    let sum = 0;
    for (let m = 0; m < 6; m++) sum += bf.melDb[i * P.nMels + m];
    lowBand[i] = sum / 6;
  }
  const metrical = estimateMeterAndDownbeats(bf.chroma, lowBand, nb, o.meter);
  const meter = metrical.meter;
  const barPos = metrical.positions;
  sw.lap('meter');

  // Section features: harmony and timbre, standardized so neither dominates, rows unit-norm for cosine.
  const dims = 12 + (N_MFCC - 1);
  const sf = new Float32Array(nb * dims);
  const zc = standardizeColumns(bf.chroma, nb, 12);
  const zm = standardizeColumns(bf.mfcc, nb, N_MFCC);
  for (let i = 0; i < nb; i++) {
    for (let c = 0; c < 12; c++) sf[i * dims + c] = zc[i * 12 + c];
    for (let k = 1; k < N_MFCC; k++) sf[i * dims + 11 + k] = zm[i * N_MFCC + k];
  }
  normalizeRows(sf, nb, dims);
  const sections = findSections(sf, nb, dims);
  const sectionOf = new Int32Array(nb);
  const labelOf = new Int32Array(nb);
  sections.forEach((s, k) => {
    for (let i = s.start; i < s.end; i++) sectionOf[i] = k;
  });
  // Label strings to small integers for the candidate stage.
  const labelIds = new Map<string, number>();
  sections.forEach((s) => {
    if (!labelIds.has(s.label)) labelIds.set(s.label, labelIds.size);
    for (let i = s.start; i < s.end; i++) labelOf[i] = labelIds.get(s.label)!;
  });
  sw.lap('sections');

  const graph = buildCandidates(
    {
      nBeats: nb,
      mfcc: bf.mfcc,
      chroma: bf.chroma,
      loudnessMax: bf.loudnessMax,
      onset: onsetNorm,
      duration: durations,
      barPosition: barPos,
      sectionLabel: labelOf,
      confidence,
    },
    { maxCandidates: o.maxCandidates, minSpan: o.minSpan, threshold: o.threshold },
  );
  sw.lap('candidates');

  const beats = toBeatJson({ starts, durations, confidence, barPos, sectionOf, onset: onsetNorm, features: bf });
  const candidates = toCandidateJson(graph.candidates);
  return {
    version: ANALYSIS_VERSION,
    status: 'ok',
    warning: null,
    track: {
      duration: round(duration, 4),
      sample_rate: input.sampleRate,
      analysis_sample_rate: P.sampleRate,
      tempo: round(bpm, 3),
      downmix: mix.kind,
      tempo_confidence: round(median(tempo.clarity), 4),
      meter,
      n_beats: nb,
      threshold: round(graph.threshold, 4),
      last_branch_beat: graph.lastBranchBeat,
    },
    beats,
    sections: sections.map((s) => ({ start_beat: s.start, end_beat: s.end, label: s.label })),
    candidates,
    timings_ms: sw.timings,
  };
}
