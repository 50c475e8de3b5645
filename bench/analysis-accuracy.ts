/**
 * Analysis accuracy on the generated ground-truth corpus (`make bench-analysis-accuracy`): renders the corpus
 * with fluidsynth (cached under bench/out/corpus), analyses every track and prints beat F (±70 ms), CMLt,
 * AMLt, tempo accuracy 1 and 2, downbeat F, false "no beats" and jump-phase agreement per genre and overall.
 * Writes bench/out/analysis-accuracy.json and .md. Deterministic: the corpus is seeded, the analysis pure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { analyzePcm } from '../src/analysis/index.js';
import { scoreTrack, summarize, type Summary, type TrackScore } from './corpus/evaluate.js';
import { loadCorpusTrack } from './corpus/render.js';
import { CORPUS } from './corpus/specs.js';

const TARGETS = { beatF: 0.9, cmlt: 0.8, tempoAcc1: 0.9, downbeatF: 0.75, falseNoBeats: 0, jumpPhase: 0.95 };
const only = process.env.CORPUS_ONLY ? new RegExp(process.env.CORPUS_ONLY) : null;

const scores: TrackScore[] = [];
const analysisMs: number[] = [];
let audioS = 0;
for (const spec of CORPUS) {
  if (only && !only.test(spec.name)) continue;
  const t = loadCorpusTrack(spec);
  const t0 = performance.now();
  const r = analyzePcm({ channels: t.channels, sampleRate: t.sampleRate });
  analysisMs.push(performance.now() - t0);
  audioS += t.channels[0].length / t.sampleRate;
  const s = scoreTrack(t.song, r);
  scores.push(s);
  if (process.env.CORPUS_VERBOSE) {
    console.log(
      `${s.name.padEnd(28)} F ${s.beatF.toFixed(2)} CMLt ${s.cmlt.toFixed(2)} AMLt ${s.amlt.toFixed(2)} bpm ${s.estimatedBpm.toFixed(1)}/${s.referenceBpm.toFixed(1)} ` +
        `meter ${s.meter} down ${s.downbeatF.toFixed(2)} jumps ${s.jumpsInPhase}/${s.jumps}${s.noBeats ? ' NO BEATS' : ''}`,
    );
  }
}

const fmt = (s: Summary): Record<string, string | number> => ({
  tracks: s.tracks,
  'beat F': s.beatF.toFixed(3),
  CMLt: s.cmlt.toFixed(3),
  AMLt: s.amlt.toFixed(3),
  'tempo acc1': s.tempoAcc1.toFixed(2),
  'tempo acc2': s.tempoAcc2.toFixed(2),
  'downbeat F': s.downbeatF.toFixed(3),
  'false no-beats': s.falseNoBeats,
  'jump phase': `${(100 * s.jumpPhase).toFixed(1)}% of ${s.jumps}`,
});
const genres = [...new Set(scores.map((s) => s.genre))];
const rows: Record<string, Record<string, string | number>> = {};
for (const g of genres) rows[g] = fmt(summarize(scores.filter((s) => s.genre === g)));
const overall = summarize(scores);
rows.OVERALL = fmt(overall);
console.table(rows);

const cols = Object.keys(rows.OVERALL);
const md = [`| genre | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`, ...Object.entries(rows).map(([g, r]) => `| ${g} | ${cols.map((c) => r[c]).join(' | ')} |`)].join('\n');
const checks = [
  ['beat F', overall.beatF, TARGETS.beatF, overall.beatF >= TARGETS.beatF],
  ['CMLt', overall.cmlt, TARGETS.cmlt, overall.cmlt >= TARGETS.cmlt],
  ['tempo acc1', overall.tempoAcc1, TARGETS.tempoAcc1, overall.tempoAcc1 >= TARGETS.tempoAcc1],
  ['downbeat F', overall.downbeatF, TARGETS.downbeatF, overall.downbeatF >= TARGETS.downbeatF],
  ['false no-beats', overall.falseNoBeats, TARGETS.falseNoBeats, overall.falseNoBeats <= TARGETS.falseNoBeats],
  ['jump phase', overall.jumpPhase, TARGETS.jumpPhase, overall.jumpPhase >= TARGETS.jumpPhase],
] as const;
for (const [name, v, target, ok] of checks) console.log(`${ok ? 'MET ' : 'MISS'} ${name}: ${Number(v).toFixed(3)} (target ${target})`);
const totalMs = analysisMs.reduce((a, b) => a + b, 0);
console.log(`analysis time: ${(totalMs / 1000).toFixed(1)} s for ${audioS.toFixed(0)} s of audio (${((totalMs / audioS) * 300 / 1000).toFixed(2)} s per 5 min, corpus tracks at 22.05 kHz)`);
mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/analysis-accuracy.json', JSON.stringify({ overall, genres: Object.fromEntries(genres.map((g) => [g, summarize(scores.filter((s) => s.genre === g))])), tracks: scores }, null, 1));
writeFileSync('bench/out/analysis-accuracy.md', md + '\n');
