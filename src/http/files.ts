import { open, type FileHandle } from 'node:fs/promises';
import { HarmonizerError } from '../shared/errors.js';
import type { FileBody, HttpResponse } from './types.js';

/** An inclusive byte range of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a file of `size` bytes (RFC 9110 §14.1.2): undefined means "send the
 * whole file" (no header, another unit, several ranges or a malformed spec: a server may ignore
 * those), 'unsatisfiable' means 416. Suffix ranges (`bytes=-500`) count from the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return undefined; // malformed: ignore the header
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * A file as an HTTP response, honouring Range (206 with Content-Range; 416 with `bytes *\/size`).
 * `what` names the file in the 404 message. Nothing is read here: the response carries the open file
 * and the adapter streams the requested bytes with back-pressure.
 */
export async function fileResponse(
  path: string,
  rangeHeader: string | undefined,
  contentType: string,
  what: string,
): Promise<HttpResponse> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HarmonizerError('NOT_FOUND', `${what} not found on disk`);
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      throw new HarmonizerError('RANGE_NOT_SATISFIABLE', `range "${rangeHeader}" is outside the ${size} bytes of ${what}`, {
        headers: { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' },
      });
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : size;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${range.end}/${size}`;
    return { status: range ? 206 : 200, headers, file: openFileBody(fh, start, length) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

function openFileBody(fh: FileHandle, start: number, length: number): FileBody {
  let closed = false;
  return {
    start,
    length,
    read: async (into, n, position) => (await fh.read(into, 0, n, position)).bytesRead,
    close: async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/** The whole body of a file response, read into memory: for tests and in-process callers only. */
export async function readFileBody(file: FileBody): Promise<Buffer> {
  const out = Buffer.allocUnsafe(file.length);
  let got = 0;
  try {
    while (got < file.length) {
      const n = await file.read(out.subarray(got), file.length - got, file.start + got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    await file.close();
  }
  return got === file.length ? out : out.subarray(0, got);
}

/** The response with a streamed file read into `body` (tests and in-process callers; never the server). */
export async function buffered(res: HttpResponse): Promise<HttpResponse> {
  if (!res.file) return res;
  const { file, ...rest } = res;
  return { ...rest, body: await readFileBody(file) };
}
