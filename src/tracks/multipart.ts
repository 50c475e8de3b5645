/**
 * A small multipart/form-data parser (RFC 7578 over RFC 2046) for uploads that are already buffered in
 * memory (the HTTP adapter reads the whole body under the route's size limit). Parts are zero-copy views
 * into the body. Malformed input is BAD_REQUEST naming what is wrong; nothing here allocates per byte.
 */
import { errors } from '../shared/errors.js';

export interface MultipartPart {
  /** The form field name (Content-Disposition `name`). */
  name: string;
  /** The client's file name (Content-Disposition `filename`), when the part is a file. */
  filename: string | undefined;
  /** The part's Content-Type, when given (lower-cased, parameters kept). */
  contentType: string | undefined;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The part's bytes: a view into the request body. */
  data: Uint8Array;
}

/** Bounds that keep a hostile body from costing more than its own size. */
const MAX_PARTS = 32;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The boundary of a `multipart/form-data` Content-Type, or undefined for another type. A multipart type
 * without a valid boundary (1-70 characters, RFC 2046 §5.1.1) is BAD_REQUEST.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentType);
  const b = m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!) : '';
  if (b.length < 1 || b.length > 70 || /[^\x20-\x7e]/.test(b)) {
    throw errors.badRequest('multipart/form-data needs a boundary parameter of 1-70 printable characters');
  }
  return b;
}

/** Parses `name="value"` parameters of a header value, honouring quoted strings with backslash escapes. */
export function headerParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1]!.toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    if (key.endsWith('*')) {
      // RFC 5987 ext-value (charset'lang'percent-encoded); preferred over the plain form when decodable.
      const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (ext) {
        try {
          out[key.slice(0, -1)] = decodeURIComponent(ext[2]!);
        } catch {
          // undecodable: keep the plain parameter, if any
        }
      }
    } else if (!(key in out)) {
      out[key] = v;
    }
  }
  return out;
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Splits a multipart body into parts. The preamble and epilogue are ignored; a body without the closing
 * delimiter, a part without Content-Disposition: form-data and a name, more than 32 parts or a header block
 * over 16 KiB are BAD_REQUEST. Cost O(body) (native indexOf).
 */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dash = Buffer.from(`--${boundary}`);
  // Every delimiter after the first is preceded by CRLF; the CRLF belongs to the delimiter, not the data.
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos: number;
  if (buf.subarray(0, dash.length).equals(dash)) pos = dash.length;
  else {
    const i = buf.indexOf(next);
    if (i < 0) throw errors.badRequest('multipart body has no boundary delimiter');
    pos = i + next.length;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    // After a delimiter: "--" closes the body; else optional transport padding, then CRLF.
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) return parts;
    while (buf[pos] === 0x20 || buf[pos] === 0x09) pos++;
    if (!(buf[pos] === 0x0d && buf[pos + 1] === 0x0a)) throw errors.badRequest('multipart delimiter is not followed by CRLF');
    pos += 2;
    if (parts.length === MAX_PARTS) throw errors.badRequest(`multipart body has more than ${MAX_PARTS} parts`);
    // An empty header block is legal: the part then starts right after its CRLF.
    const headerEnd = buf[pos] === 0x0d && buf[pos + 1] === 0x0a ? pos : buf.indexOf(CRLFCRLF, pos);
    if (headerEnd < 0 || headerEnd - pos > MAX_HEADER_BYTES) throw errors.badRequest('multipart part headers are missing their end or exceed 16 KiB');
    const headers = parseHeaders(buf.toString('utf8', pos, headerEnd));
    const dataStart = headerEnd + (headerEnd === pos ? CRLF.length : CRLFCRLF.length);
    const dataEnd = buf.indexOf(next, dataStart);
    if (dataEnd < 0) throw errors.badRequest('multipart body is truncated (no closing boundary)');
    const disposition = headers['content-disposition'] ?? '';
    if (!/^\s*form-data\s*(;|$)/i.test(disposition)) throw errors.badRequest('multipart part lacks Content-Disposition: form-data');
    const params = headerParams(disposition);
    if (params.name === undefined) throw errors.badRequest('multipart part lacks a name');
    parts.push({
      name: params.name,
      filename: params.filename,
      contentType: headers['content-type']?.trim().toLowerCase(),
      headers,
      data: body.subarray(dataStart, dataEnd),
    });
    pos = dataEnd + next.length;
  }
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (block === '') return headers;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw errors.badRequest(`multipart part header line is malformed: "${line.slice(0, 80)}"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
