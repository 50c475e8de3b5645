/**
 * Turns a POST /api/tracks request into an upload: the audio bytes plus the optional file name, title
 * and id, from either a raw body (Content-Type audio/* or application/octet-stream; `?title=&id=`,
 * X-Filename header) or multipart/form-data (one file part; optional `title` and `id` text fields).
 * Pure: no I/O, so it is tested without a socket.
 */
import { extname } from 'node:path';
import { errors, HarmonizerError } from '../shared/errors.js';
import type { HttpRequest } from '../http/types.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { AUDIO_EXTENSIONS } from './register.js';

export interface Upload {
  bytes: Uint8Array;
  /** The client's file name (multipart filename or X-Filename), if any. */
  filename: string | undefined;
  title: string | undefined;
  id: string | undefined;
  /** The declared type of the audio (the part's or the body's), lower-case without parameters. */
  contentType: string | undefined;
}

const MAX_TITLE = 200;

function mediaType(ct: string | undefined): string | undefined {
  const t = ct?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

function isRawAudioType(t: string | undefined): boolean {
  return t === 'application/octet-stream' || (t !== undefined && /^audio\/[a-z0-9.+-]+$/.test(t));
}

/** A short text field, trimmed; empty means absent; over 200 characters is BAD_REQUEST naming it. */
function field(name: string, v: string | null | undefined): string | undefined {
  const s = v?.trim();
  if (!s) return undefined;
  if (s.length > MAX_TITLE) throw errors.badRequest(`${name} must be at most ${MAX_TITLE} characters`);
  return s;
}

/** The last path segment (some clients send "C:\\fakepath\\x.mp3"); undefined when nothing is left. */
function baseName(name: string | undefined): string | undefined {
  const b = name?.split(/[\\/]/).pop()?.trim();
  return b ? b : undefined;
}

/** X-Filename may be percent-encoded (headers are Latin-1 on the wire); a malformed escape is taken literally. */
function headerFilename(v: string | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return baseName(decodeURIComponent(v));
  } catch {
    return baseName(v);
  }
}

/** Reads the upload out of a request; 415 for another Content-Type, 400 for a malformed or empty one. */
export function readUpload(req: HttpRequest): Upload {
  const ct = req.headers['content-type'];
  const boundary = multipartBoundary(ct);
  let upload: Upload;
  if (boundary !== undefined) {
    const parts = parseMultipart(req.body, boundary);
    const files = parts.filter((p) => p.filename !== undefined);
    const candidates = files.length > 0 ? files : parts.filter((p) => p.name === 'file');
    if (candidates.length !== 1) {
      throw errors.badRequest(`multipart upload must hold exactly one file part (got ${candidates.length})`);
    }
    const file = candidates[0]!;
    const text = (name: string) => {
      const p = parts.find((x) => x !== file && x.name === name && x.filename === undefined);
      return p ? Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('utf8') : undefined;
    };
    upload = {
      bytes: file.data,
      filename: baseName(file.filename),
      title: field('title', text('title') ?? req.query.get('title')),
      id: field('id', text('id') ?? req.query.get('id')),
      contentType: mediaType(file.contentType),
    };
  } else {
    const t = mediaType(ct);
    if (!isRawAudioType(t)) {
      throw new HarmonizerError(
        'UNSUPPORTED_MEDIA',
        `Content-Type must be audio/*, application/octet-stream or multipart/form-data (got ${t ?? 'none'})`,
      );
    }
    upload = {
      bytes: req.body,
      filename: headerFilename(req.headers['x-filename']),
      title: field('title', req.query.get('title')),
      id: field('id', req.query.get('id')),
      contentType: t,
    };
  }
  if (upload.bytes.byteLength === 0) throw errors.badRequest('the uploaded file is empty');
  return upload;
}

const TYPE_EXTENSIONS: Readonly<Record<string, string>> = {
  'audio/wav': '.wav', 'audio/x-wav': '.wav', 'audio/wave': '.wav', 'audio/vnd.wave': '.wav',
  'audio/mpeg': '.mp3', 'audio/mp3': '.mp3', 'audio/ogg': '.ogg', 'audio/opus': '.opus', 'audio/flac': '.flac',
  'audio/x-flac': '.flac', 'audio/mp4': '.m4a', 'audio/x-m4a': '.m4a', 'audio/aac': '.aac', 'audio/webm': '.webm',
};

const ascii = (b: Uint8Array, at: number, s: string) => {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};

/** The container told by the first bytes, when they are unambiguous. */
export function sniffExtension(b: Uint8Array): string | undefined {
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return '.wav';
  if (ascii(b, 0, 'OggS')) return '.ogg';
  if (ascii(b, 0, 'fLaC')) return '.flac';
  if (ascii(b, 4, 'ftyp')) return '.m4a';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return '.webm';
  if (ascii(b, 0, 'ID3')) return '.mp3';
  if (b[0] === 0xff && b[1] !== undefined && (b[1] & 0xf6) === 0xf0) return '.aac'; // ADTS sync, layer 0
  if (b[0] === 0xff && b[1] !== undefined && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0) return '.mp3'; // MPEG frame sync
  return undefined;
}

/**
 * The extension to store an upload under, which later picks the audio route's Content-Type: the sniffed
 * container first (clients mislabel files), then the file name's, then the declared type's, else ".audio".
 */
export function uploadExtension(u: Pick<Upload, 'bytes' | 'filename' | 'contentType'>): string {
  const sniffed = sniffExtension(u.bytes);
  if (sniffed) return sniffed;
  const fromName = u.filename ? extname(u.filename).toLowerCase() : '';
  if (fromName in AUDIO_EXTENSIONS) return fromName;
  return (u.contentType && TYPE_EXTENSIONS[u.contentType]) || '.audio';
}
