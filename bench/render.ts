/**
 * make bench-render → node dist/bench/render.js
 *
 * The whole process users run: `bin/harmonizer snippets --limit N` (RL_THREADS = parallelism) spawned
 * against a prepared data dir holding a registered 4-minute MP3 and N pending jump events — start-up,
 * store, pool start, the MP3 decode, N snippets, the recorded outcomes, exit — timed from spawn to exit.
 * Against it, in the same run, alternated round by round: spawning the bundled ffmpeg once per snippet
 * (`-ss`/`-t` on two inputs + `acrossfade`) with the same parallelism, from the same MP3 and from a WAV
 * of it. Also, for diagnosis, the inner render path (the pool with the PCM cached, no process, no store),
 * the decode time of a 4-minute MP3 and OGG, and our WAV encoder against the wav-encoder package and
 * ffmpeg. Prints Markdown tables and writes bench/out/render.json.
 *
 * Options (env): BENCH_SNIPPETS (1000: N of the whole process), BENCH_POOL_SNIPPETS (500: inner path),
 * BENCH_FFMPEG_SNIPPETS (60), BENCH_THREADS (2), BENCH_ROUNDS (3).
 */
import { mulberry32 } from '../src/shared/prng.js';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import decodeAudio from 'audio-decode';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Bench } from 'tinybench';
import { decodeFile, ffmpegPath, sha256Bytes } from '../src/render/decode.js';
import { PcmCache } from '../src/render/pcm-cache.js';
import { RenderPool, SnippetRenderer, type JumpSpec } from '../src/render/pool.js';
import { encodeWav } from '../src/render/wav.js';
import { projectRoot } from '../src/shared/paths.js';
import { Store, sqliteApi } from '../src/store/index.js';
import { registerTrack } from '../src/tracks/register.js';
import { validateEvent } from '../src/ingest/validate.js';

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
const N_CLI = envInt('BENCH_SNIPPETS', 1000);
const N_POOL = envInt('BENCH_POOL_SNIPPETS', 500);
const N_FFMPEG = envInt('BENCH_FFMPEG_SNIPPETS', 60);
const THREADS = envInt('BENCH_THREADS', 2);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const HARMONIZER = join(projectRoot, 'bin', 'harmonizer');

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

function run(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').slice(-1)[0]}`))));
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function table(rows: (string | number)[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => '| ' + r.map((v, c) => String(v).padEnd(w[c])).join(' | ') + ' |';
  return [line(rows[0]), '| ' + w.map((n) => '-'.repeat(n)).join(' | ') + ' |', ...rows.slice(1).map(line)].join('\n');
}

/** Random jumps inside the track, the same every run. */
function jumps(n: number, seed: number): JumpSpec[] {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    event_id: `e${i}`,
    sourceTime: PRE + rand() * (TRACK_S - PRE - 1),
    targetTime: rand() * (TRACK_S - POST - 1),
    pre: PRE,
    post: POST,
  }));
}

/**
 * A data dir as a user would have it before `harmonizer snippets`: the MP3 registered with the same
 * code as `harmonizer track add`, and N jump events stored as the ingest stores them.
 */
async function prepareDataDir(dir: string, mp3: string, events: JumpSpec[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const store = Store.open(join(dir, 'rl.sqlite3'));
  try {
    await registerTrack(sqliteApi(store, join(dir, 'rl.sqlite3')), join(dir, 'tracks'), mp3, { id: 'bench', title: 'bench' });
    const rows = events.map((e, i) => {
      const r = validateEvent(
        {
          event_id: randomUUID(), session_id: `s${i % 50}`, track_id: 'bench', mode: 'jukebox',
          source_index: i, target_index: i + 1, source_time: e.sourceTime, target_time: e.targetTime,
          similarity: 0.9, policy_mode: 'baseline', propensity: 0.5,
        },
        i,
        Date.now(),
      );
      if (!r.ok) throw new Error(`invalid bench event: ${JSON.stringify(r.problems)}`);
      return r.event;
    });
    store.events.insertMany(rows);
  } finally {
    store.close();
  }
}

/** ffmpeg per snippet: two seeked inputs joined by acrossfade, as a shell script would do it. */
function ffmpegSnippet(ffmpeg: string, input: string, e: JumpSpec, out: string): Promise<string> {
  const fade = FADE_MS / 1000;
  const a0 = Math.max(0, e.sourceTime - e.pre);
  // acrossfade overlaps the last `fade` s of input 0 with the first `fade` s of input 1:
  // extend each side by fade/2 so the fade is centred on the splice, as in our renderer.
  return run(ffmpeg, [
    '-v', 'error', '-nostdin', '-y',
    '-ss', String(a0), '-t', String(e.sourceTime - a0 + fade / 2), '-i', input,
    '-ss', String(Math.max(0, e.targetTime - fade / 2)), '-t', String(e.post + fade / 2), '-i', input,
    '-filter_complex', `[0:a][1:a]acrossfade=d=${fade}:c1=qsin:c2=qsin`,
    '-c:a', 'pcm_s16le', out,
  ]);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
  const ffmpeg = ffmpegPath();
  const report: {
    date: string;
    config: Record<string, number>;
    process?: Record<string, unknown>;
    inner?: Record<string, unknown>;
    decode: Record<string, unknown>[];
    wav_encoding?: Record<string, number>;
  } = {
    date: new Date().toISOString(),
    config: { track_s: TRACK_S, sample_rate: SR, pre: PRE, post: POST, crossfade_ms: FADE_MS, process_snippets: N_CLI, pool_snippets: N_POOL, ffmpeg_snippets: N_FFMPEG, threads: THREADS, rounds: ROUNDS },
    decode: [],
  };
  console.log(`bench-render: ${TRACK_S / 60}-minute stereo ${SR} Hz track, ${PRE} s + ${POST} s clips, ${FADE_MS} ms crossfade, parallelism ${THREADS}, ${cpus().length} CPUs, node ${process.version}`);
  console.log(`temp dir ${dir}`);
  try {
    // --- the track: WAV written with our encoder, MP3 made from it with the bundled ffmpeg ---
    const channels = generateTrack();
    let t = performance.now();
    const wav = encodeWav(channels, SR);
    const encodeTrackMs = performance.now() - t;
    const wavPath = join(dir, 'track.wav');
    writeFileSync(wavPath, wav);
    const mp3Path = join(dir, 'track.mp3');
    await run(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-i', wavPath, '-c:a', 'libmp3lame', '-b:a', '192k', mp3Path]);

    // --- the data dir users have before `harmonizer snippets`, copied fresh for every round ---
    const cliEvents = jumps(N_CLI, 7);
    const template = join(dir, 'template');
    await prepareDataDir(template, mp3Path, cliEvents);

    // --- the inner path's pool (kept for diagnosis) ---
    const track = { path: wavPath, sha256: sha256Bytes(wav) };
    const events = jumps(N_POOL, 42);
    const pool = new RenderPool({ maxThreads: THREADS });
    const cache = new PcmCache({ capacityBytes: 512 << 20 });
    await Promise.all(Array.from({ length: THREADS }, () => pool.decode({ path: '/nonexistent' }).catch(() => undefined)));
    const pcm = await pool.decode({ path: track.path, sha256: track.sha256, pcm16: true }); // as SnippetRenderer decodes
    await cache.get(track.sha256, async () => pcm.pcm);

    // --- alternated rounds (medians reported): this machine is shared, so alternating keeps
    // background load from favouring either side ---
    const cliMs: number[] = [];
    const ffMp3MsPer: number[] = [];
    const ffWavMsPer: number[] = [];
    const poolMs: number[] = [];
    let cliSummary = '';
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = join(dir, `data-${round}`);
      cpSync(template, dataDir, { recursive: true });
      const t0 = performance.now();
      const out = await run(process.execPath, [HARMONIZER, 'snippets', '--limit', String(N_CLI), '--pre', String(PRE), '--post', String(POST)], {
        RL_DATA_DIR: dataDir,
        RL_THREADS: String(THREADS),
        RL_CROSSFADE_MS: String(FADE_MS),
      });
      cliMs.push(performance.now() - t0);
      cliSummary = out.trim().split('\n').slice(-1)[0] ?? '';
      if (!new RegExp(`snippets: ${N_CLI} rendered, 0 failed`).test(out)) throw new Error(`harmonizer snippets did not render all ${N_CLI}: ${out}`);
      const files = readdirSync(join(dataDir, 'snippets')).filter((f) => f.endsWith('.wav')).length;
      if (files !== N_CLI) throw new Error(`expected ${N_CLI} snippet files, found ${files}`);
      rmSync(dataDir, { recursive: true, force: true });

      for (const [input, per] of [[mp3Path, ffMp3MsPer], [wavPath, ffWavMsPer]] as const) {
        const ffDir = join(dir, `ffmpeg-${round}`);
        mkdirSync(ffDir);
        t = performance.now();
        await withParallelism(THREADS, cliEvents.slice(0, N_FFMPEG).map((e) => () => ffmpegSnippet(ffmpeg, input, e, join(ffDir, `${e.event_id}.wav`))));
        per.push((performance.now() - t) / N_FFMPEG);
        rmSync(ffDir, { recursive: true, force: true });
      }

      const poolDir = join(dir, `pool-${round}`);
      const renderer = new SnippetRenderer({ pool, cache, outDir: poolDir, crossfadeMs: FADE_MS });
      t = performance.now();
      await Promise.all(events.map((e) => renderer.render(track, e)));
      poolMs.push(performance.now() - t);
      rmSync(poolDir, { recursive: true, force: true });
    }
    await pool.close();

    const cliRate = (N_CLI / median(cliMs)) * 1000;
    const ffMp3Rate = 1000 / median(ffMp3MsPer);
    const ffWavRate = 1000 / median(ffWavMsPer);
    const poolRate = (N_POOL / median(poolMs)) * 1000;
    const best = Math.max(ffMp3Rate, ffWavRate);
    report.process = {
      snippets_per_s: cliRate,
      wall_ms: median(cliMs),
      ffmpeg_mp3_per_s: ffMp3Rate,
      ffmpeg_wav_per_s: ffWavRate,
      ratio_vs_ffmpeg_mp3: cliRate / ffMp3Rate,
      ratio_vs_ffmpeg_wav: cliRate / ffWavRate,
      rounds: { process_ms: cliMs, ffmpeg_mp3_per_s: ffMp3MsPer.map((m) => 1000 / m), ffmpeg_wav_per_s: ffWavMsPer.map((m) => 1000 / m) },
      last_summary: cliSummary,
    };
    report.inner = { pool_cached_per_s: poolRate, ratio_vs_ffmpeg_wav: poolRate / ffWavRate, rounds_per_s: poolMs.map((m) => (N_POOL / m) * 1000) };

    console.log(`\n## Snippets: the whole \`harmonizer snippets --limit ${N_CLI}\` process vs ffmpeg per snippet (median of ${ROUNDS} alternated rounds)\n`);
    console.log(
      table([
        ['approach', 'snippets/round', 'snippets/s', 'vs ffmpeg (MP3)', 'vs ffmpeg (WAV)'],
        [`ffmpeg per snippet from the MP3 (spawn, -ss/-t, acrossfade), ${THREADS} parallel`, N_FFMPEG, fmt(ffMp3Rate), '1.0×', fmt(ffMp3Rate / ffWavRate, 2) + '×'],
        [`ffmpeg per snippet from a WAV of it, ${THREADS} parallel`, N_FFMPEG, fmt(ffWavRate), fmt(ffWavRate / ffMp3Rate, 2) + '×', '1.0×'],
        [`harmonizer snippets, RL_THREADS=${THREADS}, whole process from spawn to exit (MP3 decode incl.)`, N_CLI, fmt(cliRate), `${fmt(cliRate / ffMp3Rate)}×`, `${fmt(cliRate / ffWavRate)}×`],
        [`inner path: render pool, ${THREADS} threads, PCM cached, no process or store (diagnosis)`, N_POOL, fmt(poolRate), `${fmt(poolRate / ffMp3Rate)}×`, `${fmt(poolRate / ffWavRate)}×`],
      ]),
    );
    console.log(`\nper round: process ${cliMs.map((m) => fmt(m, 0)).join(', ')} ms; ffmpeg MP3 ${ffMp3MsPer.map((m) => fmt(1000 / m, 0)).join(', ')}/s; ffmpeg WAV ${ffWavMsPer.map((m) => fmt(1000 / m, 0)).join(', ')}/s; inner ${poolMs.map((m) => fmt((N_POOL / m) * 1000, 0)).join(', ')}/s`);
    const perRound = cliMs.map((m, i) => ({ mp3: (N_CLI / m) * 1000 * ffMp3MsPer[i]! / 1000, wav: (N_CLI / m) * 1000 * ffWavMsPer[i]! / 1000 }));
    (report.process as Record<string, unknown>).ratio_per_round = perRound;
    console.log(`ratio within each round (process vs ffmpeg of the same round): MP3 ${perRound.map((r) => fmt(r.mp3)).join(', ')}×; WAV ${perRound.map((r) => fmt(r.wav)).join(', ')}×`);
    console.log(`last process summary: ${cliSummary}`);
    console.log(`target ≥ 4× ffmpeg, whole process: ${cliRate / best >= 4 ? 'MET' : 'NOT MET'} (${fmt(cliRate / ffMp3Rate)}× ffmpeg from the MP3, ${fmt(cliRate / ffWavRate)}× from the WAV)`);

    // --- decode times: 4-minute MP3 and OGG made with the bundled ffmpeg ---
    const decodeRows: (string | number)[][] = [['file', 'size', 'decodeFile', 'decode ms', 'x realtime', 'audio-decode alone ms', 'bundled ffmpeg → f32le ms (reference)']];
    const addDecode = async (label: string, path: string) => {
      const t1 = performance.now();
      const d = await decodeFile(path);
      const ms = performance.now() - t1;
      const t2 = performance.now();
      await run(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
      const ffDecMs = performance.now() - t2;
      const bytes = readFileSync(path);
      const t3 = performance.now();
      await decodeAudio(bytes);
      const adMs = performance.now() - t3;
      decodeRows.push([label, `${(statSync(path).size / 1e6).toFixed(1)} MB`, d.decoder, fmt(ms, 0), `${fmt((d.duration * 1000) / ms, 0)}×`, fmt(adMs, 0), fmt(ffDecMs, 0)]);
      report.decode.push({ file: label, decoder: d.decoder, ms, audio_decode_ms: adMs, ffmpeg_ms: ffDecMs });
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
        decodeRows.push([label, '-', `the bundled ffmpeg cannot encode it: ${(e as Error).message}`, '-', '-', '-', '-']);
        report.decode.push({ file: label, error: (e as Error).message });
        continue;
      }
      await addDecode(label, out);
    }
    console.log('\n## Decode of a 4-minute track (decodeFile on the main thread: MP3 / Ogg through the bundled ffmpeg first, WAV through audio-decode)\n');
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
