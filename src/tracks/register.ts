import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HarmonizerError, errors } from '../shared/errors.js';
import type { StoreApi, TrackRow } from '../store/index.js';
import { sha256Bytes, sha256File } from '../render/index.js';
import { probeAudio } from './probe.js';

/** Track ids are used in URLs and file names: a conservative alphabet. */
export const TRACK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An id from free text: "My Song (live)" -> "my-song-live" ("track" when nothing usable is left). */
export function trackIdFromText(text: string): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return (base || 'track').slice(0, 64);
}

/** A default id from a file name: "My Song (live).mp3" -> "my-song-live". */
export function trackIdFromName(file: string): string {
  return trackIdFromText(basename(file, extname(file)));
}

export interface RegisterOptions {
  id?: string;
  title?: string;
  now?: number;
  /** Replace a track registered under the same id (its old file is removed). Default: refuse (CONFLICT). */
  replace?: boolean;
}

function checkId(id: string): void {
  if (!TRACK_ID.test(id)) throw errors.invalidArgument(`track id "${id}" must be 1-64 characters of A-Z a-z 0-9 _ -`);
}


/**
 * Moves a finished temp file into place and stores the row (the file is complete before any row names
 * it). Replacing: rename over the old file, upsert. New only: the file is claimed with a hard link, which
 * fails on an existing name (unlike rename), and the row is inserted only if the id is free, so two
 * processes registering one id at once (two nodes on one database and one shared folder, or
 * `track add` beside an upload) cannot both win: one gets CONFLICT, and the file always holds the
 * bytes its row describes.
 */
async function commit(store: StoreApi, tmp: string, dest: string, row: TrackRow, replace: boolean): Promise<TrackRow> {
  try {
    if (replace) await rename(tmp, dest);
    else await claim(store, tmp, dest, row.track_id);
  } finally {
    await rm(tmp, { force: true });
  }
  if (replace) await store.tracks.upsert(row);
  else if (!(await store.tracks.insertNew(row))) throw taken(row.track_id);
  return row;
}

/** A file at a new track's path with no row this long after it was linked is an orphan (its registration died). */
const ORPHAN_AFTER_MS = 60_000;

const taken = (id: string, why = 'already exists') =>
  new HarmonizerError('CONFLICT', `track "${id}" ${why}; choose another id`);

/** Puts `tmp` at `dest` unless a registration owns that name. */
async function claim(store: StoreApi, tmp: string, dest: string, id: string): Promise<void> {
  try {
    await link(tmp, dest);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A filesystem without hard links: rename, as before (the row insert still decides who wins).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return rename(tmp, dest);
    if (code !== 'EEXIST') throw err;
  }
  if (await store.tracks.get(id)) throw taken(id);
  // No row: another registration between its link and its insert, or one that died there. Linking
  // sets the file's ctime, so the age tells them apart.
  const st = await stat(dest).catch(() => undefined);
  if (st && Date.now() - st.ctimeMs < ORPHAN_AFTER_MS) throw taken(id, 'is being registered by another upload');
  await rename(tmp, dest);
}

function rowOf(id: string, title: string, dest: string, sha256: string, format: AudioFormat, now: number | undefined): TrackRow {
  return {
    track_id: id,
    title,
    path: dest,
    sha256,
    duration: format.duration,
    sample_rate: format.sampleRate,
    channels: format.channels,
    added_at: now ?? Date.now(),
  };
}

/**
 * Registers an audio file as a track: probes it by decoding it once (an undecodable file is refused
 * with the decoder's reason, DECODE_FAILED), copies it into `tracksDir` as `<id><ext>` (temp file +
 * rename, so a half-copied track never appears), and upserts the tracks row.
 */
export async function registerTrack(store: StoreApi, tracksDir: string, file: string, opts: RegisterOptions = {}): Promise<TrackRow> {
  const id = opts.id ?? trackIdFromName(file);
  checkId(id);
  const previous = await store.tracks.get(id);
  if (previous && !opts.replace) {
    throw errors.invalidArgument(`a track "${id}" is already registered (${previous.title}, ${previous.path}): pass --replace to replace it, or choose another --id`);
  }
  const format = await probeAudio(file);
  const sha256 = await sha256File(file);
  await mkdir(tracksDir, { recursive: true });
  const dest = join(tracksDir, `${id}${extname(file).toLowerCase() || '.audio'}`);
  const tmp = `${dest}.${randomUUID()}.tmp`;
  try {
    await copyFile(file, tmp);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const row = await commit(store, tmp, dest, rowOf(id, opts.title ?? basename(file, extname(file)), dest, sha256, format, opts.now), opts.replace === true);
  // The replaced track's file, when it had another name (another extension), would be orphaned.
  if (previous && resolve(previous.path) !== resolve(dest) && resolve(dirname(previous.path)) === resolve(tracksDir)) await rm(previous.path, { force: true });
  return row;
}

/** Extensions a stored track may get: the audio-file endings the audio route knows a Content-Type for. */
export const AUDIO_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'audio/webm',
});

/** Content-Type of a stored track file by its extension (application/octet-stream when unknown). */
export function audioContentType(path: string): string {
  return AUDIO_EXTENSIONS[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** What registration needs to know of decodable audio (a DecodedAudio fits, and so does a worker's SharedPcm summary). */
export interface AudioFormat {
  sampleRate: number;
  duration: number;
  channels: number;
}

/**
 * Decodes a file to prove it is audio and read its format, throwing DECODE_FAILED with the reason when it
 * is not (AUDIO_TOO_LONG when it passes a limit). The default is `probeAudio` without a limit.
 */
export type Probe = (file: string) => Promise<AudioFormat>;

export interface RegisterBytesOptions extends RegisterOptions {
  id: string;
  title: string;
  /** Extension of the stored file, one of AUDIO_EXTENSIONS (anything else is stored as ".audio"). */
  ext: string;
  /** How DECODE_FAILED messages name the input instead of the temp file path (e.g. the uploaded file name). */
  label?: string;
  /** Default: probeAudio (ffmpeg in a child process; this process only counts the decoded bytes). */
  probe?: Probe;
  /** The sha256 of `bytes`, when the caller has it already. */
  sha256?: string;
}


/**
 * Registers audio that is already in memory (an HTTP upload, the generated demo): writes it once to a
 * temp file inside `tracksDir`, probes it from the same bytes, and renames the temp file into place (no
 * second copy). An undecodable input leaves nothing behind and throws DECODE_FAILED naming `label`.
 */
export async function registerTrackBytes(store: StoreApi, tracksDir: string, bytes: Uint8Array, opts: RegisterBytesOptions): Promise<TrackRow> {
  checkId(opts.id);
  if (bytes.byteLength === 0) throw new HarmonizerError('DECODE_FAILED', `cannot decode ${opts.label ?? 'the input'}: it is empty`);
  const ext = opts.ext.toLowerCase() in AUDIO_EXTENSIONS ? opts.ext.toLowerCase() : '.audio';
  await mkdir(tracksDir, { recursive: true });
  const dest = join(tracksDir, `${opts.id}${ext}`);
  // The temp file keeps the extension: the ffmpeg fallback sniffs content, but a hint never hurts.
  const tmp = join(tracksDir, `.${opts.id}.${randomUUID()}.tmp${ext}`);
  let format: AudioFormat;
  try {
    await writeFile(tmp, bytes);
    format = await (opts.probe ?? probeAudio)(tmp);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof HarmonizerError && opts.label !== undefined) {
      throw new HarmonizerError(err.code, err.message.split(tmp).join(opts.label), { cause: err });
    }
    throw err;
  }
  return commit(store, tmp, dest, rowOf(opts.id, opts.title, dest, opts.sha256 ?? sha256Bytes(bytes), format, opts.now), opts.replace === true);
}
