/**
 * Analysis benchmark (`make bench-analysis`, i.e. `node dist/bench/analysis.js`): wall time of analyzePcm on a
 * generated 5-minute stereo 44.1 kHz track (PCM already decoded), median of several runs, with the median of
 * each pipeline stage. Target: <= 3 s on the 2-core reference machine.
 */
import { analyzePcm, STAGES, type StageName } from '../src/analysis/index.js';
import { generateDemoTrack } from '../src/demo/track.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MS = 3000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const g0 = performance.now();
const demo = generateDemoTrack({ durationS: 300 });
// Exactly 5 minutes: the generator rounds up to whole sections.
const track = { sampleRate: demo.sampleRate, channels: demo.channels.map((c) => c.subarray(0, 300 * demo.sampleRate)) };
const genMs = performance.now() - g0;
const seconds = track.channels[0].length / track.sampleRate;
console.log(`track: ${seconds.toFixed(1)} s stereo @ ${track.sampleRate} Hz (generated in ${genMs.toFixed(0)} ms); ${RUNS} runs after 1 warm-up`);

analyzePcm(track); // warm-up: JIT compilation is not what we measure
const totals: number[] = [];
const stages = new Map<StageName, number[]>(STAGES.map((s) => [s, []]));
let last = analyzePcm(track);
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  last = analyzePcm(track);
  totals.push(performance.now() - t0);
  for (const s of STAGES) stages.get(s)!.push(last.timings_ms[s]);
}
const total = median(totals);
console.table(
  Object.fromEntries([
    ...STAGES.map((s) => [s, { 'median ms': Number(median(stages.get(s)!).toFixed(1)) }]),
    ['TOTAL', { 'median ms': Number(total.toFixed(1)) }],
  ]),
);
console.log(
  `tempo ${last.track.tempo} BPM, ${last.track.n_beats} beats, meter ${last.track.meter}, ${last.sections.length} sections, ` +
    `${last.candidates.reduce((s, l) => s + l.length, 0)} candidates; min ${Math.min(...totals).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms`,
);
console.log(total <= TARGET_MS ? `OK: median ${total.toFixed(0)} ms <= ${TARGET_MS} ms` : `SLOW: median ${total.toFixed(0)} ms > ${TARGET_MS} ms`);
