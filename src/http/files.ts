import { open } from 'node:fs/promises';
import { HarmonizerError } from '../shared/errors.js';
import type { HttpResponse } from '../http/types.js';

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
 * `what` names the file in the 404 message. Only the requested bytes are read.
 */
export async function fileResponse(
  path: string,
  rangeHeader: string | undefined,
  contentType: string,
  what: string,
): Promise<HttpResponse> {
  let fh;
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
    const body = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(body, got, length - got, start + got);
      if (bytesRead === 0) break; // the file shrank under us: send what is there
      got += bytesRead;
    }
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${start + got - 1}/${size}`;
    return { status: range ? 206 : 200, headers, body: got === length ? body : body.subarray(0, got) };
  } finally {
    await fh.close();
  }
}
