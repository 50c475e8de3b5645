/**
 * Proves a file is audio and reads its format without holding its PCM: the bundled ffmpeg decodes it
 * in a child process and this process only counts the bytes it writes. Memory stays constant whatever
 * the file decodes to, so a small file of hours of silence (a decompression bomb) costs nothing here,
 * and with `maxSeconds` the decode stops at the limit (a declared duration above it stops it at once).
 */
import { spawn } from 'node:child_process';
import { HarmonizerError } from '../shared/errors.js';
import { ffmpegPath, parseFfmpegOutputFormat } from '../render/index.js';

export interface ProbedAudio {
  sampleRate: number;
  channels: number;
  /** Seconds actually decoded (not the container's claim). */
  duration: number;
}

export interface ProbeOptions {
  /** Refuse audio longer than this with AUDIO_TOO_LONG (413); the decode never goes further than it. */
  maxSeconds?: number;
  /** How messages name the input (e.g. the uploaded file name) instead of its path. */
  label?: string;
  /** Where the limit comes from, for the message (default "the limit"). */
  limitName?: string;
}

const TIMEOUT_MS = 300_000;

/** Parses ffmpeg's `Duration: 01:30:00.02,` line; undefined when absent or "N/A". */
export function declaredDuration(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(stderr);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

const minutes = (s: number) => `${(s / 60).toFixed(1)} minutes`;

export function probeAudio(path: string, opts: ProbeOptions = {}): Promise<ProbedAudio> {
  const label = opts.label ?? path;
  const max = opts.maxSeconds;
  const tooLong = (what: string) =>
    new HarmonizerError('AUDIO_TOO_LONG', `${label} ${what}; ${opts.limitName ?? 'the limit'} allows ${minutes(max!)}`);
  return new Promise((resolve, reject) => {
    // `-t`: ffmpeg stops decoding just past the limit, so a bomb costs at most the limit's decode time.
    const limit = max === undefined ? [] : ['-t', String(max + 1)];
    const child = spawn(
      ffmpegPath(),
      ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-vn', ...limit, '-f', 'f32le', '-acodec', 'pcm_f32le', '-'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let bytes = 0;
    let stderr = '';
    let refused: HarmonizerError | undefined;
    const refuse = (e: HarmonizerError) => {
      if (refused) return;
      refused = e;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length; // counted, then dropped: the PCM is never kept
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < 1024 * 1024) stderr += s;
      if (max !== undefined && !refused) {
        const declared = declaredDuration(stderr);
        if (declared !== undefined && declared > max + 1) refuse(tooLong(`declares ${minutes(declared)} of audio`));
      }
    });
    const timer = setTimeout(() => refuse(new HarmonizerError('DECODE_FAILED', `cannot decode ${label}: no result after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HarmonizerError('DECODE_FAILED', `cannot decode ${label}: cannot run ffmpeg: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (refused) return reject(refused);
      const fail = (why: string) => reject(new HarmonizerError('DECODE_FAILED', `cannot decode ${label}: ${why}`));
      if (code !== 0) {
        const last = stderr.trim().split('\n').slice(-1)[0] ?? '';
        return fail(`ffmpeg: exit ${code ?? signal}: ${last.split(path).join(label)}`);
      }
      const fmt = parseFfmpegOutputFormat(stderr);
      if (!fmt) return fail('ffmpeg printed no output sample rate / channel layout');
      const frames = Math.floor(bytes / (4 * fmt.channels));
      if (frames === 0) return fail('it holds no audio samples');
      const duration = frames / fmt.sampleRate;
      if (max !== undefined && duration > max) return reject(tooLong(`is longer than ${minutes(max)}`));
      resolve({ sampleRate: fmt.sampleRate, channels: fmt.channels, duration });
    });
  });
}
