import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HarmonizerError, errors } from '../shared/errors.js';
import type { Store, TrackRow } from '../store/index.js';
import { decodeFile, sha256File } from '../render/index.js';

/** Track ids are used in URLs and file names: a conservative alphabet. */
export const TRACK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A default id from a file name: "My Song (live).mp3" -> "my-song-live". */
export function trackIdFromName(file: string): string {
  const base = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return (base || 'track').slice(0, 64);
}

export interface RegisterOptions {
  id?: string;
  title?: string;
  now?: number;
}

/**
 * Registers an audio file as a track: probes it by decoding it once (an undecodable file is refused
 * with the decoder's reason, DECODE_FAILED), copies it into `tracksDir` as `<id><ext>` (temp file +
 * rename, so a half-copied track never appears), and upserts the tracks row.
 */
export async function registerTrack(store: Store, tracksDir: string, file: string, opts: RegisterOptions = {}): Promise<TrackRow> {
  const id = opts.id ?? trackIdFromName(file);
  if (!TRACK_ID.test(id)) throw errors.invalidArgument(`track id "${id}" must be 1-64 characters of A-Z a-z 0-9 _ -`);
  const decoded = await decodeFile(file).catch((err: unknown) => {
    throw err instanceof HarmonizerError ? err : new HarmonizerError('DECODE_FAILED', `cannot decode ${file}: ${(err as Error).message}`, { cause: err });
  });
  const sha256 = await sha256File(file);
  await mkdir(tracksDir, { recursive: true });
  const dest = join(tracksDir, `${id}${extname(file).toLowerCase() || '.audio'}`);
  const tmp = `${dest}.${randomUUID()}.tmp`;
  try {
    await copyFile(file, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const row: TrackRow = {
    track_id: id,
    title: opts.title ?? basename(file, extname(file)),
    path: dest,
    sha256,
    duration: decoded.duration,
    sample_rate: decoded.sampleRate,
    channels: decoded.channels.length,
    added_at: opts.now ?? Date.now(),
  };
  store.tracks.upsert(row);
  return row;
}
