/**
 * Renders composed songs to PCM with Debian's fluidsynth and the FluidR3 General MIDI soundfont (real
 * sampled instruments), then applies the spec's mastering. Renders are cached by a hash of the MIDI bytes,
 * so a second run of the benchmark only analyses. Missing tools are installed through the project's own
 * install path (`make corpus-deps`), never skipped.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compose, type ComposedSong, type SongSpec } from './compose.js';
import { songToMidi } from './midi.js';

export const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
export const CORPUS_SAMPLE_RATE = 22050;
/** fluidsynth's master gain: leaves headroom so the normal master does not clip. */
const SYNTH_GAIN = 0.5;

function hasSynth(): boolean {
  try {
    execFileSync('fluidsynth', ['--version'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return existsSync(SOUNDFONT);
}

/** The repository root: the nearest folder above this file holding the Makefile (works from bench/ and dist/bench/). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'Makefile'))) {
    const up = dirname(d);
    if (up === d) throw new Error('corpus: no Makefile above ' + fileURLToPath(import.meta.url));
    d = up;
  }
  return d;
}

/** Makes sure fluidsynth and the soundfont are there, installing them with `make corpus-deps` (apt) if not; throws if that fails. */
export function ensureSynth(): void {
  if (hasSynth()) return;
  execFileSync('make', ['-s', 'corpus-deps'], { cwd: repoRoot(), stdio: 'inherit' });
  if (!hasSynth()) throw new Error(`corpus: fluidsynth or ${SOUNDFONT} still missing after make corpus-deps`);
}

export interface CorpusTrack {
  readonly song: ComposedSong;
  readonly channels: Float32Array[];
  readonly sampleRate: number;
}

/** fluidsynth renders the MIDI to raw little-endian float stereo (fast-render, no audio device). */
function synthesize(midi: Uint8Array, cacheFile: string): Float32Array {
  const tmpMid = `${cacheFile}.${process.pid}.mid`;
  const tmpRaw = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmpMid, midi);
  try {
    execFileSync(
      'fluidsynth',
      ['-n', '-i', '-q', '-a', 'file', '-F', tmpRaw, '-T', 'raw', '-O', 'float', '-E', 'little', '-r', String(CORPUS_SAMPLE_RATE), '-g', String(SYNTH_GAIN), SOUNDFONT, tmpMid],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    renameSync(tmpRaw, cacheFile);
  } finally {
    rmSync(tmpMid, { force: true });
    rmSync(tmpRaw, { force: true });
  }
  const b = readFileSync(cacheFile);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The spec's mastering on de-interleaved stereo, in place. */
function master(ch: Float32Array[], kind: SongSpec['master']): void {
  const [l, r] = ch;
  switch (kind ?? 'normal') {
    case 'phase_inverted':
      // The "surround" trick: right = -left, so (L + R) / 2 is exactly silent.
      for (let i = 0; i < l.length; i++) r[i] = -l[i];
      break;
    case 'quiet':
      for (const c of ch) for (let i = 0; i < c.length; i++) c[i] *= 0.03; // -30 dB
      break;
    case 'clipped':
      for (const c of ch) for (let i = 0; i < c.length; i++) c[i] = Math.max(-1, Math.min(1, c[i] * 6)); // +15.6 dB, hard clip
      break;
    case 'normal':
      break;
  }
}

/** Composes, renders (or reads the cached render) and masters one song. Cost: about 1 s of fluidsynth per minute of audio when not cached. */
export function loadCorpusTrack(spec: SongSpec, cacheDir = resolve(repoRoot(), 'bench/out/corpus')): CorpusTrack {
  const song = compose(spec);
  const midi = songToMidi(song);
  const hash = createHash('sha256').update(midi).digest('hex').slice(0, 16);
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `${spec.name}-${hash}.f32`);
  let inter: Float32Array;
  if (existsSync(file)) {
    const b = readFileSync(file);
    inter = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } else {
    ensureSynth();
    inter = synthesize(midi, file);
  }
  const n = Math.min(inter.length >> 1, Math.round(song.durationS * CORPUS_SAMPLE_RATE));
  const ch = [new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    ch[0][i] = inter[2 * i];
    ch[1][i] = inter[2 * i + 1];
  }
  master(ch, spec.master);
  return { song, channels: ch, sampleRate: CORPUS_SAMPLE_RATE };
}
