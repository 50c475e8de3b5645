/**
 * The tracks API: list, upload, stored audio (with Range) and analysis. Handlers are plain functions;
 * every failure is a HarmonizerError that the router turns into a response.
 *
 * Upload ids: an explicit id (`?id=` or the `id` form field) that is already registered is refused with
 * 409 CONFLICT (re-registering on purpose is `harmonizer track add --id`); without one the id is derived
 * from the file name or title and made unique with a numeric suffix ("song", "song-2", ...), so an upload
 * never replaces someone else's track.
 */
import { type Config } from '../shared/config.js';
import { errors, fromStorageError, HarmonizerError } from '../shared/errors.js';
import { presentedToken, tokenMatches } from '../http/token.js';
import { sha256Bytes } from '../render/index.js';
import { probeAudio } from './probe.js';
import { Slots } from '../shared/slots.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { StoreApi, TrackRow } from '../store/index.js';
import { ANALYSIS_VERSION } from '../analysis/types.js';
import type { AnalysisService, AnalysisState } from '../analysis/service.js';
import { fileResponse } from '../http/files.js';
import { TRACK_ID, audioContentType, registerTrackBytes, trackIdFromName, trackIdFromText } from './register.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readUpload, uploadExtension, type Upload } from './upload.js';

export interface TrackRoutesDeps {
  /** uploadMaxMb (RL_UPLOAD_MAX_MB) and dataDir (tracks folder). */
  config: Config;
  /**
   * A writable store: uploads register their tracks through it (the system passes the labeler's own
   * store; the ingest server's SQLite store is read-only, so routes that must take uploads get another).
   * The caller owns its lifecycle.
   */
  store: StoreApi;
  analysis: AnalysisService;
  /** Default config.paths.tracks. */
  tracksDir?: string;
}

/** A track as the API shows it: no server paths. */
export interface TrackView {
  id: string;
  title: string;
  duration: number;
  sample_rate: number;
  channels: number;
  sha256: string;
  added_at: number;
  /** Where the default analysis stands (from the cache folder: one stat per track). */
  analysis: AnalysisState;
  audio_url: string;
  analysis_url: string;
}

/** multipart headers and boundaries around the file: the body limit allows this much on top of the file limit. */
const MULTIPART_SLACK = 64 * 1024;

export function trackRoutes(deps: TrackRoutesDeps): Route[] {
  const { config, store, analysis } = deps;
  const tracksDir = deps.tracksDir ?? config.paths.tracks;
  const maxFileBytes = config.uploadMaxMb * 1024 * 1024;
  /** Ids being registered by uploads in flight: two uploads of "song.mp3" at once must not both get "song". */
  const reserved = new Set<string>();

  const view = (t: TrackRow): TrackView => {
    const base = `/api/tracks/${encodeURIComponent(t.track_id)}`;
    return {
      id: t.track_id,
      title: t.title,
      duration: t.duration,
      sample_rate: t.sample_rate,
      channels: t.channels,
      sha256: t.sha256,
      added_at: t.added_at,
      analysis: analysis.status(t),
      audio_url: `${base}/audio`,
      analysis_url: `${base}/analysis`,
    };
  };

  const trackOf = async (req: HttpRequest): Promise<TrackRow> => {
    const id = req.params.id ?? '';
    const t = TRACK_ID.test(id) ? await store.tracks.get(id) : undefined;
    if (!t) throw errors.notFound(`track "${id}"`);
    return t;
  };

  /**
   * Reserves `id` for this upload unless another upload in flight holds it or it is registered. The
   * reservation is taken before the store is asked (synchronously, between awaits), so two uploads
   * asking at once cannot both get it; it is given back when the store has the id already.
   */
  const reserve = async (id: string): Promise<boolean> => {
    if (reserved.has(id)) return false;
    reserved.add(id);
    if ((await store.tracks.get(id)) === undefined) return true;
    reserved.delete(id);
    return false;
  };

  /** The upload's id, reserved (the caller releases it). */
  const chooseId = async (u: Upload): Promise<string> => {
    if (u.id !== undefined) {
      if (!TRACK_ID.test(u.id)) throw errors.badRequest(`id must be 1-64 characters of A-Z a-z 0-9 _ - (got "${u.id}")`);
      if (!(await reserve(u.id))) throw new HarmonizerError('CONFLICT', `track "${u.id}" already exists; upload without an id or choose another`);
      return u.id;
    }
    const base = u.filename ? trackIdFromName(u.filename) : trackIdFromText(u.title ?? 'track');
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : `-${n}`;
      const id = base.slice(0, 64 - suffix.length) + suffix;
      if (await reserve(id)) return id;
    }
  };

  const list = async (): Promise<HttpResponse> => json(200, { tracks: (await store.tracks.list()).map(view) });

  const one = async (req: HttpRequest): Promise<HttpResponse> => json(200, view(await trackOf(req)));

  /** Uploads in flight by content: a second identical upload waits for the first and gets its track. */
  const uploading = new Map<string, Promise<{ row: TrackRow; status: 200 | 201 }>>();
  // One ffmpeg probe per core at a time: each is a process decoding up to RL_UPLOAD_MAX_MINUTES, so
  // a burst of small uploads (decompression bombs, say) queues instead of starting a process each.
  const probeSlots = new Slots(config.threads);

  const checkUploadToken = (req: HttpRequest) => {
    if (config.uploadToken === undefined) return;
    const presented = presentedToken(req, 'x-upload-token');
    if (!tokenMatches(presented, config.uploadToken)) {
      throw errors.unauthorized(
        presented === undefined
          ? 'upload token required: send "Authorization: Bearer <RL_UPLOAD_TOKEN>" or "X-Upload-Token"'
          : 'invalid upload token',
      );
    }
  };

  /** Bytes of uploads in flight: counted against the cap before they are on disk, so concurrent uploads cannot pass it together. */
  let reservedBytes = 0;

  /**
   * 507 when the stored track files, the other uploads in flight and this one (`adding`, reserved by the
   * caller before the await, so two uploads cannot both see room for one) would pass RL_TRACKS_MAX_GB.
   */
  const checkQuota = async (adding: number) => {
    const used = (await folderBytes(tracksDir)) + reservedBytes - adding;
    const max = config.tracksMaxGb * 1024 ** 3;
    if (used + adding > max) {
      throw new HarmonizerError(
        'INSUFFICIENT_STORAGE',
        `track storage is full: ${(used / 1024 ** 2).toFixed(1)} MB stored, this upload is ${(adding / 1024 ** 2).toFixed(1)} MB, RL_TRACKS_MAX_GB allows ${(max / 1024 ** 2).toFixed(1)} MB`,
      );
    }
  };

  const created = (row: TrackRow, status: number) =>
    json(status, { ...view(row), ...(status === 200 ? { duplicate: true } : {}) }, { Location: `/api/tracks/${encodeURIComponent(row.track_id)}` });

  const upload = async (req: HttpRequest): Promise<HttpResponse> => {
    checkUploadToken(req);
    const u = readUpload(req);
    // The route admits the multipart envelope on top of the limit; the file itself must fit the limit.
    if (u.bytes.byteLength > maxFileBytes) {
      throw new HarmonizerError('PAYLOAD_TOO_LARGE', `the file is larger than RL_UPLOAD_MAX_MB (${config.uploadMaxMb} MB)`);
    }
    if (u.id !== undefined && !TRACK_ID.test(u.id)) throw errors.badRequest(`id must be 1-64 characters of A-Z a-z 0-9 _ - (got "${u.id}")`);
    // The same bytes again are the same track: 200 with the existing one, nothing stored twice. The
    // upload is in `uploading` before the first await, so an identical one arriving meanwhile waits for it.
    const sha256 = sha256Bytes(u.bytes);
    const pending = uploading.get(sha256);
    if (pending) return created((await pending).row, 200);
    const label = u.filename ? `"${u.filename}"` : 'the upload';
    const held = u.bytes.byteLength;
    reservedBytes += held;
    let id: string | undefined;
    const work = (async (): Promise<{ row: TrackRow; status: 200 | 201 }> => {
      const existing = await store.tracks.bySha256(sha256);
      if (existing) return { row: existing, status: 200 };
      id = await chooseId(u);
      const title = u.title ?? (u.filename ? u.filename.replace(/\.[^.]*$/, '') || id : id);
      await checkQuota(held);
      const row = await registerTrackBytes(store, tracksDir, u.bytes, {
        id,
        title,
        sha256,
        ext: uploadExtension(u),
        label,
        probe: (file) => probeSlots.run(() => probeAudio(file, { maxSeconds: config.uploadMaxMinutes * 60, label, limitName: 'RL_UPLOAD_MAX_MINUTES' })),
      });
      return { row, status: 201 };
    })().catch((err: unknown) => {
      if (err instanceof HarmonizerError && err.code === 'DECODE_FAILED') {
        throw new HarmonizerError('UNSUPPORTED_MEDIA', err.message, { cause: err });
      }
      throw fromStorageError(err, 'store the upload');
    });
    uploading.set(sha256, work);
    try {
      const r = await work;
      return created(r.row, r.status);
    } finally {
      uploading.delete(sha256);
      reservedBytes -= held;
      if (id !== undefined) reserved.delete(id);
    }
  };

  const audio = async (req: HttpRequest): Promise<HttpResponse> => {
    const t = await trackOf(req);
    return fileResponse(t.path, req.headers.range, audioContentType(t.path), `audio of track "${t.track_id}"`);
  };

  const analysisHandler = async (req: HttpRequest): Promise<HttpResponse> => {
    const t = await trackOf(req);
    // Analysis is deterministic per content and version, so this tag is valid before it is even computed.
    const etag = `"${t.sha256}-v${ANALYSIS_VERSION}"`;
    const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
    if (req.headers['if-none-match'] === etag && analysis.status(t) === 'ready') return { status: 304, headers };
    return json(200, await analysis.get(t), headers);
  };

  return [
    { method: 'GET', pattern: '/api/tracks', handler: list },
    { method: 'POST', pattern: '/api/tracks', handler: upload, maxBodyBytes: maxFileBytes + MULTIPART_SLACK },
    { method: 'GET', pattern: '/api/tracks/:id', handler: one },
    { method: 'GET', pattern: '/api/tracks/:id/audio', handler: audio },
    { method: 'GET', pattern: '/api/tracks/:id/analysis', handler: analysisHandler },
  ];
}

/** Bytes of the files directly in `dir` (0 when it does not exist yet). */
async function folderBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  for (const n of names) {
    const s = await stat(join(dir, n)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}
