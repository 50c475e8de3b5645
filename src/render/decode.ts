/**
 * Whole-file decoding to planar float PCM with two decoders: `audio-decode` (WASM, in-process) and the
 * bundled static ffmpeg, which writes raw f32le to a pipe. MP3 and Ogg (Vorbis, Opus) go to ffmpeg
 * first: it decodes a 4-minute MP3 or OGG 2–3× faster than audio-decode's WASM decoders (bench render),
 * and these are what users upload. Everything else goes to audio-decode first (WAV is a copy of PCM,
 * faster in-process than through a child; the other formats are rare and audio-decode was validated on
 * them). Whatever the first cannot decode goes to the other. Either way the result is validated
 * (≥ 1 channel, equal lengths, a positive sample rate, at least one sample).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import decodeAudio from 'audio-decode';
import { HarmonizerError } from '../shared/errors.js';
import { temporaryCause } from './failures.js';
import { encodePcm16 } from './wav.js';

export interface DecodedAudio {
  /** One Float32Array per channel, all the same length. */
  channels: Float32Array[];
  sampleRate: number;
  /** Seconds: samples per channel / sampleRate. */
  duration: number;
  /** Which decoder produced the PCM. */
  decoder: 'audio-decode' | 'ffmpeg';
  /** With DecodeOptions.alloc16: the same samples as interleaved 16-bit PCM (encodePcm16), length frames · channels. */
  pcm16?: Int16Array;
}

export interface DecodeOptions {
  /**
   * Allocates the storage of one channel; default `new Float32Array(n)`. The PCM cache passes a
   * SharedArrayBuffer-backed allocator so ffmpeg output lands in shared memory with no extra copy.
   */
  alloc?: (samples: number) => Float32Array;
  /** Refuse decodes whose PCM would exceed this many bytes (default 2 GiB). */
  maxPcmBytes?: number;
  /** Already-read file bytes (saves a second read when the caller also hashes them). */
  bytes?: Uint8Array;
  /**
   * When given, also produce `pcm16` (interleaved 16-bit, encodePcm16 of the result) in storage from
   * this allocator. The ffmpeg path converts each chunk as it arrives, while ffmpeg still decodes.
   */
  alloc16?: (samples: number) => Int16Array;
}

const DEFAULT_MAX_PCM = 2 * 1024 ** 3;
/** Generous: the bundled ffmpeg decodes a 4-minute MP3 in well under a second. */
const FFMPEG_TIMEOUT_MS = 300_000;

/** Absolute path of the bundled ffmpeg binary. Resolved lazily: only the fallback needs it. */
let ffmpegPathCache: string | undefined;
export function ffmpegPath(): string {
  if (ffmpegPathCache === undefined) {
    const require = createRequire(import.meta.url);
    ffmpegPathCache = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
  return ffmpegPathCache;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Decodes an audio file. Throws HarmonizerError('DECODE_FAILED') naming the file and the error of
 * each decoder tried. Cost: one file read, O(duration) decode; audio-decode runs on the calling thread
 * (call it from a worker to keep an event loop free), ffmpeg in a child process.
 */
export async function decodeFile(path: string, opts: DecodeOptions = {}): Promise<DecodedAudio> {
  const maxPcmBytes = opts.maxPcmBytes ?? DEFAULT_MAX_PCM;
  let bytes: Uint8Array;
  try {
    bytes = opts.bytes ?? (await readFile(path));
  } catch (e) {
    throw new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: cannot read the file: ${message(e)}`, { cause: e });
  }
  if (bytes.byteLength === 0) throw new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: the file is empty`);

  const inProcess = async () => {
    const r = await decodeAudio(bytes);
    const d = finish(path, r.channelData, r.sampleRate, 'audio-decode', opts.alloc, maxPcmBytes);
    if (opts.alloc16) {
      d.pcm16 = opts.alloc16(d.channels[0].length * d.channels.length);
      encodePcm16(d.channels, 0, d.channels[0].length, d.pcm16, 0);
    }
    return d;
  };
  const child = () => decodeWithFfmpeg(path, opts.alloc, opts.alloc16, maxPcmBytes);
  const [a, b] = ffmpegFirst(bytes) ? [child, inProcess] : [inProcess, child];
  let first: unknown;
  try {
    return await a();
  } catch (e) {
    if (e instanceof HarmonizerError) throw e; // our own size limit: the other decoder would hit it too
    first = e;
  }
  try {
    return await b();
  } catch (e) {
    if (e instanceof HarmonizerError) throw e;
    const [fromAudioDecode, fromFfmpeg] = a === inProcess ? [first, e] : [e, first];
    // The cause is ffmpeg's error: it tells a machine problem (spawn EAGAIN, a timeout) from bad content.
    throw new HarmonizerError(
      'DECODE_FAILED',
      `cannot decode ${path}: audio-decode: ${message(fromAudioDecode)}; ffmpeg: ${message(fromFfmpeg)}`,
      { cause: fromFfmpeg },
    );
  }
}

/** MP3 (an ID3v2 tag or an MPEG audio frame sync) or Ogg ("OggS"), from the first bytes. */
function ffmpegFirst(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const tag = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (tag === 'OggS' || tag.startsWith('ID3')) return true;
  // Frame sync: 11 set bits, then a layer that is not "reserved" (00); ADTS AAC has layer 00, so it is excluded.
  return bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0 && (bytes[1]! & 0x06) !== 0;
}

function finish(
  path: string,
  data: Float32Array[],
  sampleRate: number,
  decoder: DecodedAudio['decoder'],
  alloc: DecodeOptions['alloc'],
  maxPcmBytes: number,
): DecodedAudio {
  if (!Array.isArray(data) || data.length === 0) throw new Error('decoded no channels');
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) throw new Error(`decoded an invalid sample rate ${sampleRate}`);
  const n = data[0].length;
  if (n === 0) throw new Error('decoded no samples');
  if (data.some((c) => c.length !== n)) throw new Error('decoded channels of different lengths');
  if (n * data.length * 4 > maxPcmBytes) {
    throw new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: decoded PCM exceeds ${maxPcmBytes} bytes`);
  }
  const channels = alloc
    ? data.map((c) => {
        const dst = alloc(n);
        dst.set(c);
        return dst;
      })
    : data;
  return { channels, sampleRate, duration: n / sampleRate, decoder };
}

const LAYOUT_CHANNELS: Record<string, number> = {
  mono: 1, stereo: 2, '2.1': 3, '3.0': 3, '3.0(back)': 3, '3.1': 4, '4.0': 4, quad: 4, 'quad(side)': 4,
  '4.1': 5, '5.0': 5, '5.0(side)': 5, '5.1': 6, '5.1(side)': 6, '6.0': 6, '6.1': 7, '7.0': 7, '7.1': 8, '7.1(wide)': 8,
};

/**
 * Parses the OUTPUT stream line ffmpeg prints to stderr, e.g.
 * `Stream #0:0: Audio: pcm_f32le, 44100 Hz, stereo, flt, 2822 kb/s`: this describes exactly the bytes
 * on the pipe, so we never guess the layout of the data. Exported for tests.
 */
export function parseFfmpegOutputFormat(stderr: string): { sampleRate: number; channels: number } | undefined {
  const out = stderr.indexOf('Output #0');
  if (out < 0) return undefined;
  const m = /Audio: pcm_f32le[^,]*, (\d+) Hz, ([^,\n]+),/.exec(stderr.slice(out));
  if (!m) return undefined;
  const layout = m[2].trim();
  const n = /^(\d+) channels/.exec(layout);
  const channels = n ? Number(n[1]) : LAYOUT_CHANNELS[layout];
  if (!channels) return undefined;
  return { sampleRate: Number(m[1]), channels };
}

/** `Duration: 00:04:00.05,` of ffmpeg's input section, in seconds (a capacity hint only: VBR files may lie). */
function parseFfmpegDuration(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/**
 * Planar float channels (and optionally interleaved 16-bit) filled from interleaved f32le chunks as
 * they arrive, growing by doubling when the capacity hint was short. De-interleaving chunk by chunk
 * overlaps that work with ffmpeg's decoding (another process, another core) and needs no copy of the
 * whole interleaved stream.
 */
class PlanarSink {
  channels: Float32Array[] = [];
  pcm16: Int16Array | undefined;
  frames = 0;
  #capacity = 0;
  #carry: Buffer | undefined;
  readonly #frameBytes: number;

  constructor(
    readonly nch: number,
    readonly sampleRate: number,
    capacityFrames: number,
    private readonly alloc: (n: number) => Float32Array,
    private readonly alloc16: ((n: number) => Int16Array) | undefined,
  ) {
    this.#frameBytes = 4 * nch;
    this.#grow(Math.max(1, capacityFrames));
  }

  #grow(capacity: number): void {
    const old = this.channels;
    this.channels = Array.from({ length: this.nch }, (_, c) => {
      const dst = this.alloc(capacity);
      if (old[c]) dst.set(old[c]!.subarray(0, this.frames));
      return dst;
    });
    if (this.alloc16) {
      const old16 = this.pcm16;
      this.pcm16 = this.alloc16(capacity * this.nch);
      if (old16) this.pcm16.set(old16.subarray(0, this.frames * this.nch));
    }
    this.#capacity = capacity;
  }

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#carry) {
      data = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    const n = Math.floor(data.length / this.#frameBytes);
    const used = n * this.#frameBytes;
    if (used < data.length) this.#carry = Buffer.from(data.subarray(used)); // a partial frame, < 4 · nch bytes
    if (n === 0) return;
    if (this.frames + n > this.#capacity) this.#grow(Math.max(this.#capacity * 2, this.frames + n));
    // Float32Array views need 4-byte alignment; pipe chunks usually have it, a copy otherwise.
    const bytes = data.byteOffset % 4 === 0 ? data : Buffer.from(data.subarray(0, used));
    const inter = new Float32Array(bytes.buffer, bytes.byteOffset, n * this.nch);
    const at = this.frames;
    const nch = this.nch;
    if (nch === 2) {
      const L = this.channels[0]!;
      const R = this.channels[1]!;
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        L[at + i] = inter[j]!;
        R[at + i] = inter[j + 1]!;
      }
    } else {
      for (let c = 0; c < nch; c++) {
        const dst = this.channels[c]!;
        for (let i = 0, j = c; i < n; i++, j += nch) dst[at + i] = inter[j]!;
      }
    }
    if (this.pcm16) encodePcm16(this.channels, at, n, this.pcm16, at);
    this.frames += n;
  }

  /** The channels (and pcm16) trimmed to the frames received: views, no copy. */
  result(): { channels: Float32Array[]; pcm16: Int16Array | undefined } {
    return {
      channels: this.channels.map((c) => c.subarray(0, this.frames)),
      pcm16: this.pcm16?.subarray(0, this.frames * this.nch),
    };
  }
}

/**
 * ffmpeg → f32le on stdout at the native rate and channel count, parsed from stderr (ffmpeg prints
 * its output format before the first sample; chunks arriving before it is known wait for it).
 */
function decodeWithFfmpeg(
  path: string,
  alloc: DecodeOptions['alloc'],
  alloc16: DecodeOptions['alloc16'],
  maxPcmBytes: number,
): Promise<DecodedAudio> {
  return new Promise((resolve, reject) => {
    // `-vn`: ignore cover art; `-map 0:a:0`: the first audio stream only; `-nostdin`: never wait on a tty.
    const child = spawn(
      ffmpegPath(),
      ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-vn', '-f', 'f32le', '-acodec', 'pcm_f32le', '-'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let waiting: Buffer[] = [];
    let sink: PlanarSink | undefined;
    let bytes = 0;
    let stderr = '';
    let tooBig = false;
    let failed: unknown;
    const feed = (c: Buffer) => {
      try {
        sink!.push(c);
      } catch (e) {
        failed ??= e; // an allocation refused (memory): reported at close
        child.kill('SIGKILL');
      }
    };
    const open = () => {
      if (sink) return true;
      const fmt = parseFfmpegOutputFormat(stderr);
      if (!fmt) return false;
      const hint = parseFfmpegDuration(stderr);
      // A little over the declared duration; never more than the byte limit allows.
      const frames = Math.min(Math.ceil(((hint ?? 60) * 1.01 + 1) * fmt.sampleRate), Math.floor(maxPcmBytes / (4 * fmt.channels)));
      sink = new PlanarSink(fmt.channels, fmt.sampleRate, frames, alloc ?? ((n) => new Float32Array(n)), alloc16);
      const early = waiting;
      waiting = [];
      for (const c of early) feed(c);
      return true;
    };
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > maxPcmBytes) {
        tooBig = true;
        child.kill('SIGKILL');
        return;
      }
      if (sink || open()) feed(c);
      else waiting.push(c);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      // Bounded (tag-heavy files print long Input sections, so leave room for the Output section after them).
      if (stderr.length < 1024 * 1024) stderr += s;
      if (!sink && waiting.length > 0) open();
    });
    // A file that makes ffmpeg hang must not hang the worker (and the track's snippets) forever.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FFMPEG_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      // e carries the OS code (EAGAIN, EMFILE, ENOENT ...): a temporary failure (render/failures.ts).
      reject(new Error(`cannot run ${ffmpegPath()}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A hung or killed child (timeout, the OOM killer) says nothing about the file: worth a retry.
      if (timedOut) return reject(temporaryCause(`no result after ${FFMPEG_TIMEOUT_MS / 1000} s`));
      // Our own limit, as a HarmonizerError: decodeFile then does not try the other decoder on it.
      if (tooBig) return reject(new HarmonizerError('DECODE_FAILED', `cannot decode ${path}: decoded PCM exceeds ${maxPcmBytes} bytes`));
      if (failed !== undefined) return reject(temporaryCause(`cannot hold the decoded PCM: ${message(failed)}`, failed));
      if (code === null) return reject(temporaryCause(`ffmpeg was killed by ${signal ?? 'a signal'}`));
      if (code !== 0) {
        const last = stderr.trim().split('\n').slice(-1)[0] ?? '';
        return reject(new Error(`exit ${code ?? signal}: ${last}`));
      }
      if (!open()) return reject(new Error('could not read the output sample rate / channel layout from ffmpeg'));
      const s = sink!;
      if (s.frames === 0) return reject(new Error('decoded no samples'));
      const { channels, pcm16 } = s.result();
      resolve({ channels, sampleRate: s.sampleRate, duration: s.frames / s.sampleRate, decoder: 'ffmpeg', ...(pcm16 ? { pcm16 } : {}) });
    });
  });
}

/** Hex sha256 of a file, streamed (constant memory). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', (e) => reject(new HarmonizerError('DECODE_FAILED', `cannot hash ${path}: ${e.message}`, { cause: e })))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Hex sha256 of bytes already in memory. */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
