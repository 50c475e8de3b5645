/**
 * make bench-render → node dist/bench/render.js
 *
 * On a generated 4-minute stereo 44.1 kHz track: snippets per second of the render pool (decode once,
 * splice in workers, our WAV encoder) against spawning the bundled ffmpeg once per snippet
 * (`-ss`/`-t` on two inputs + `acrossfade`), both with parallelism 2, in the same run. Also the decode
 * time of a 4-minute MP3 and OGG (made with the bundled ffmpeg), and our WAV encoder against the
 * wav-encoder package and ffmpeg. Prints Markdown tables and writes bench/out/render.json.
 *
 * Options (env): BENCH_SNIPPETS (500), BENCH_FFMPEG_SNIPPETS (60), BENCH_THREADS (2), BENCH_ROUNDS (5).
 */
import { mulberry32 } from '../src/shared/prng.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import { decodeFile, ffmpegPath, sha256Bytes } from '../src/render/decode.js';
import { PcmCache } from '../src/render/pcm-cache.js';
import { RenderPool, SnippetRenderer, type JumpSpec } from '../src/render/pool.js';
import { encodeWav } from '../src/render/wav.js';
import { projectRoot } from '../src/shared/paths.js';

const SR = 44100;
const TRACK_S = 240;
const PRE = 2;
const POST = 3;
const FADE_MS = 30;
const envInt = (name: string, def: number) => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? def : Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${v}")`);
  return n;
};
const N_POOL = envInt('BENCH_SNIPPETS', 500);
const N_FFMPEG = envInt('BENCH_FFMPEG_SNIPPETS', 60);
const THREADS = envInt('BENCH_THREADS', 2);
const ROUNDS = envInt('BENCH_ROUNDS', 5);

type WavEncoderModule = {
  encode: { sync(data: { sampleRate: number; channelData: Float32Array[] }, opts?: { bitDepth?: number }): ArrayBuffer };
};
const wavEncoder = createRequire(import.meta.url)('wav-encoder') as WavEncoderModule;

/** Deterministic PRNG so every run renders the same events. */
const rng = mulberry32;

/** Music-like stereo: a chord that changes every 2 s, a beat envelope, a little noise. */
function generateTrack(): Float32Array[] {
  const n = SR * TRACK_S;
  const l = new Float32Array(n);
  const r = new Float32Array(n);
  const rand = rng(1);
  const roots = [220, 246.94, 261.63, 293.66, 329.63, 349.23, 392];
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    const f = roots[Math.floor(t / 2) % roots.length];
    const beat = 0.6 + 0.4 * Math.exp(-((t * 2) % 1) * 6);
    const chord = Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(2 * Math.PI * f * 1.25 * t) + 0.33 * Math.sin(2 * Math.PI * f * 1.5 * t);
    const noise = (rand() - 0.5) * 0.05;
    l[i] = 0.3 * beat * chord + noise;
    r[i] = 0.3 * beat * (0.8 * chord + 0.2 * Math.sin(2 * Math.PI * f * 2 * t)) + noise;
  }
  return [l, r];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').slice(-1)[0]}`))));
  });
}

/** Runs `jobs` with at most `limit` in flight. */
async function withParallelism<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

const fmt = (n: number, d = 1) => n.toFixed(d);
function table(rows: (string | number)[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => '| ' + r.map((v, c) => String(v).padEnd(w[c])).join(' | ') + ' |';
  return [line(rows[0]), '| ' + w.map((n) => '-'.repeat(n)).join(' | ') + ' |', ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
  const ffmpeg = ffmpegPath();
  const report: {
    date: string;
    config: Record<string, number>;
    snippets?: Record<string, unknown>;
    decode: Record<string, unknown>[];
    wav_encoding?: Record<string, number>;
  } = { date: new Date().toISOString(), config: { track_s: TRACK_S, sample_rate: SR, pre: PRE, post: POST, crossfade_ms: FADE_MS, snippets: N_POOL, ffmpeg_snippets: N_FFMPEG, threads: THREADS, rounds: ROUNDS }, decode: [] };
  console.log(`bench-render: ${TRACK_S / 60}-minute stereo ${SR} Hz track, ${PRE} s + ${POST} s clips, ${FADE_MS} ms crossfade, parallelism ${THREADS}, ${cpus().length} CPUs, node ${process.version}`);
  console.log(`temp dir ${dir}`);
  try {
    // --- the track, written with our encoder ---
    const channels = generateTrack();
    let t = performance.now();
    const wav = encodeWav(channels, SR);
    const encodeTrackMs = performance.now() - t;
    const wavPath = join(dir, 'track.wav');
    writeFileSync(wavPath, wav);
    const track = { path: wavPath, sha256: sha256Bytes(wav) };

    // --- events ---
    const rand = rng(42);
    const events: JumpSpec[] = Array.from({ length: N_POOL }, (_, i) => ({
      event_id: `e${i}`,
      sourceTime: PRE + rand() * (TRACK_S - PRE - 1),
      targetTime: rand() * (TRACK_S - POST - 1),
      pre: PRE,
      post: POST,
    }));

    // --- the pool vs ffmpeg, alternated over ROUNDS rounds (medians reported): this machine is
    // shared, so alternating keeps background load from favouring either side. ---
    const pool = new RenderPool({ maxThreads: THREADS });
    const cache = new PcmCache({ capacityBytes: 512 << 20 });
    // Warm the worker threads (module load) without touching the track.
    await Promise.all(Array.from({ length: THREADS }, () => pool.decode({ path: '/nonexistent' }).catch(() => undefined)));
    t = performance.now();
    const pcm = await pool.decode({ path: track.path, sha256: track.sha256 });
    const poolDecodeMs = performance.now() - t;
    await cache.get(track.sha256, async () => pcm.pcm); // what SnippetRenderer.pcm() does on a miss
    const fade = FADE_MS / 1000;
    const poolMs: number[] = [];
    const ffMsPer: number[] = [];
    const workerMs: number[] = [];
    let snippetBytes = 0;
    let ffBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const poolDir = join(dir, `pool-${round}`);
      const renderer = new SnippetRenderer({ pool, cache, outDir: poolDir, crossfadeMs: FADE_MS });
      const t0 = performance.now();
      const results = await Promise.all(events.map((e) => renderer.render(track, e)));
      poolMs.push(performance.now() - t0);
      workerMs.push(results.reduce((sum, r) => sum + r.renderMs, 0) / results.length);
      snippetBytes = results[0].bytes;
      rmSync(poolDir, { recursive: true, force: true });

      const ffDir = join(dir, `ffmpeg-${round}`);
      mkdirSync(ffDir);
      const ffJobs = events.slice(0, N_FFMPEG).map((e) => () => {
        const a0 = Math.max(0, e.sourceTime - e.pre);
        // acrossfade overlaps the last `fade` s of input 0 with the first `fade` s of input 1:
        // extend each side by fade/2 so the fade is centred on the splice, as in our renderer.
        return run(ffmpeg, [
          '-v', 'error', '-nostdin', '-y',
          '-ss', String(a0), '-t', String(e.sourceTime - a0 + fade / 2), '-i', wavPath,
          '-ss', String(Math.max(0, e.targetTime - fade / 2)), '-t', String(e.post + fade / 2), '-i', wavPath,
          '-filter_complex', `[0:a][1:a]acrossfade=d=${fade}:c1=qsin:c2=qsin`,
          '-c:a', 'pcm_s16le', join(ffDir, `${e.event_id}.wav`),
        ]);
      });
      t = performance.now();
      await withParallelism(THREADS, ffJobs);
      ffMsPer.push((performance.now() - t) / N_FFMPEG);
      ffBytes = statSync(join(ffDir, 'e0.wav')).size;
      rmSync(ffDir, { recursive: true, force: true });
    }
    await pool.close();
    if (cache.stats().loads !== 1) throw new Error(`expected one decode, got ${cache.stats().loads}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ffRate = 1000 / median(ffMsPer);
    const poolSteadyRate = (N_POOL / median(poolMs)) * 1000;
    const poolTotalMs = poolDecodeMs + poolMs[0];
    const poolRate = (N_POOL / poolTotalMs) * 1000;

    report.snippets = {
      ffmpeg_per_s: ffRate,
      pool_incl_decode_per_s: poolRate,
      pool_cached_per_s: poolSteadyRate,
      ratio_cached: poolSteadyRate / ffRate,
      ratio_incl_decode: poolRate / ffRate,
      pool_decode_ms: poolDecodeMs,
      rounds: { pool_per_s: poolMs.map((m) => (N_POOL / m) * 1000), ffmpeg_per_s: ffMsPer.map((m) => 1000 / m) },
      worker_ms_per_snippet: median(workerMs),
    };
    console.log(`\n## Snippets (2 s + 3 s, 30 ms equal-power crossfade, 16-bit stereo WAV; median of ${ROUNDS} alternated rounds)\n`);
    console.log(
      table([
        ['approach', 'snippets/round', 'snippets/s', 'vs ffmpeg'],
        [`ffmpeg per snippet (spawn, -ss/-t, acrossfade), ${THREADS} parallel`, N_FFMPEG, fmt(ffRate), '1.0×'],
        [`render pool, ${THREADS} threads, first round incl. the one decode (${fmt(poolDecodeMs, 0)} ms)`, N_POOL, fmt(poolRate), `${fmt(poolRate / ffRate)}×`],
        [`render pool, ${THREADS} threads, PCM cached`, N_POOL, fmt(poolSteadyRate), `${fmt(poolSteadyRate / ffRate)}×`],
      ]),
    );
    console.log(`\nper-round snippets/s: pool ${poolMs.map((m) => fmt((N_POOL / m) * 1000, 0)).join(', ')}; ffmpeg ${ffMsPer.map((m) => fmt(1000 / m, 0)).join(', ')}`);
    console.log(`mean time in a worker per snippet (plan + splice + encode + write + rename): ${fmt(median(workerMs), 2)} ms; file ${snippetBytes} bytes (ffmpeg's ${ffBytes})`);
    console.log(`target ≥ 8× ffmpeg: ${poolSteadyRate / ffRate >= 8 ? 'MET' : 'NOT MET'} (${fmt(poolSteadyRate / ffRate)}× with the PCM cached, ${fmt(poolRate / ffRate)}× including the decode)`);

    // --- decode times: 4-minute MP3 and OGG made with the bundled ffmpeg ---
    const decodeRows: (string | number)[][] = [['file', 'size', 'decodeFile', 'decode ms', 'x realtime', 'bundled ffmpeg → f32le ms (reference)']];
    const addDecode = async (label: string, path: string) => {
      const t1 = performance.now();
      const d = await decodeFile(path);
      const ms = performance.now() - t1;
      const t2 = performance.now();
      await run(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
      const ffDecMs = performance.now() - t2;
      decodeRows.push([label, `${(statSync(path).size / 1e6).toFixed(1)} MB`, d.decoder, fmt(ms, 0), `${fmt((d.duration * 1000) / ms, 0)}×`, fmt(ffDecMs, 0)]);
      report.decode.push({ file: label, decoder: d.decoder, ms, ffmpeg_ms: ffDecMs });
    };
    await addDecode('WAV 16-bit (4 min)', wavPath);
    const encoders: [string, string, string[]][] = [
      ['MP3 192 kb/s (4 min)', 'track.mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']],
      ['OGG Vorbis q5 (4 min)', 'track.ogg', ['-c:a', 'libvorbis', '-q:a', '5']],
    ];
    for (const [label, file, args] of encoders) {
      const out = join(dir, file);
      try {
        await run(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-i', wavPath, ...args, out]);
      } catch (e) {
        decodeRows.push([label, '-', `the bundled ffmpeg cannot encode it: ${(e as Error).message}`, '-', '-', '-']);
        report.decode.push({ file: label, error: (e as Error).message });
        continue;
      }
      await addDecode(label, out);
    }
    console.log('\n## Decode of a 4-minute track (decodeFile on the main thread: audio-decode first, ffmpeg fallback)\n');
    console.log(table(decodeRows));

    // --- WAV encoders ---
    const snippet = channels.map((c) => c.slice(0, (PRE + POST) * SR));
    const bench = new Bench({ time: 800, warmupTime: 200 });
    bench
      .add('ours: encodeWav (5 s stereo)', () => {
        encodeWav(snippet, SR);
      })
      .add('wav-encoder encode.sync (5 s stereo)', () => {
        wavEncoder.encode.sync({ sampleRate: SR, channelData: snippet }, { bitDepth: 16 });
      });
    await bench.run();
    const mean = (i: number) => bench.tasks[i].result?.latency.mean ?? NaN;
    t = performance.now();
    wavEncoder.encode.sync({ sampleRate: SR, channelData: channels }, { bitDepth: 16 });
    const wavEncTrackMs = performance.now() - t;
    // ffmpeg encoding the same 4-minute PCM (fed as f32le from a file, written to a file).
    const rawPath = join(dir, 'track.f32');
    const inter = new Float32Array(channels[0].length * 2);
    for (let i = 0; i < channels[0].length; i++) {
      inter[2 * i] = channels[0][i];
      inter[2 * i + 1] = channels[1][i];
    }
    writeFileSync(rawPath, Buffer.from(inter.buffer));
    t = performance.now();
    await run(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-f', 'f32le', '-ar', String(SR), '-ac', '2', '-i', rawPath, '-c:a', 'pcm_s16le', join(dir, 'ff-enc.wav')]);
    const ffEncMs = performance.now() - t;
    t = performance.now();
    await writeFile(join(dir, 'ours-enc.wav'), encodeWav(channels, SR));
    const oursEncWriteMs = performance.now() - t;
    report.wav_encoding = { ours_snippet_ms: mean(0), wav_encoder_snippet_ms: mean(1), ours_track_ms: encodeTrackMs, wav_encoder_track_ms: wavEncTrackMs, ffmpeg_track_ms: ffEncMs, ours_track_incl_write_ms: oursEncWriteMs };
    mkdirSync(join(projectRoot, 'bench', 'out'), { recursive: true });
    writeFileSync(join(projectRoot, 'bench', 'out', 'render.json'), JSON.stringify(report, null, 2));
    console.log('\n## 16-bit WAV encoding\n');
    console.log(
      table([
        ['encoder', '5 s stereo snippet (ms)', '4 min stereo track (ms)', 'speed-up of ours'],
        ['ours (encodeWav)', fmt(mean(0), 3), fmt(encodeTrackMs, 1), '1.0×'],
        ['wav-encoder package', fmt(mean(1), 3), fmt(wavEncTrackMs, 1), `${fmt(mean(1) / mean(0))}×`],
        ['ffmpeg f32le file → pcm_s16le file (process incl.)', '-', fmt(ffEncMs, 1), `${fmt(ffEncMs / oursEncWriteMs)}× (ours incl. write: ${fmt(oursEncWriteMs, 1)} ms)`],
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
