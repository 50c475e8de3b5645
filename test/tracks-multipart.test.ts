import { describe, expect, it } from 'vitest';
import { headerParams, multipartBoundary, parseMultipart, readUpload, sniffExtension, uploadExtension } from '../src/tracks/index.js';
import type { HttpRequest } from '../src/http/types.js';

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...xs: (string | Uint8Array)[]) => Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x))));
const text = (u: Uint8Array) => Buffer.from(u).toString('utf8');

function req(body: Uint8Array, headers: Record<string, string>, query = ''): HttpRequest {
  return { method: 'POST', path: '/api/tracks', query: new URLSearchParams(query), headers, params: {}, body };
}

describe('multipart/form-data parser', () => {
  it('reads the boundary from Content-Type, quoted or not, and refuses a missing one', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc123')).toBe('abc123');
    expect(multipartBoundary('Multipart/Form-Data;boundary="a b;c"')).toBe('a b;c');
    expect(multipartBoundary('audio/wav')).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
    expect(() => multipartBoundary('multipart/form-data')).toThrow(/boundary/);
    expect(() => multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toThrow(/boundary/);
  });

  it('parses Content-Disposition parameters with quotes, escapes and RFC 5987 names', () => {
    expect(headerParams('form-data; name="file"; filename="a \\"b\\";c.wav"')).toEqual({ name: 'file', filename: 'a "b";c.wav' });
    expect(headerParams("form-data; name=f; filename=\"x.wav\"; filename*=UTF-8''caf%C3%A9.wav")).toEqual({ name: 'f', filename: 'café.wav' });
  });

  it('splits parts (preamble, binary data with CR/LF and dashes inside, epilogue) without copying', () => {
    const bin = new Uint8Array([0, 13, 10, 45, 45, 98, 255, 13, 10]);
    const body = cat(
      'preamble\r\n--XyZ\r\n',
      'Content-Disposition: form-data; name="title"\r\n\r\n',
      'Mon titre ♪',
      '\r\n--XyZ\r\n',
      'Content-Disposition: form-data; name="file"; filename="song.wav"\r\nContent-Type: Audio/WAV\r\n\r\n',
      bin,
      '\r\n--XyZ--\r\nepilogue',
    );
    const parts = parseMultipart(body, 'XyZ');
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['title', undefined, undefined],
      ['file', 'song.wav', 'audio/wav'],
    ]);
    expect(text(parts[0]!.data)).toBe('Mon titre ♪');
    expect([...parts[1]!.data]).toEqual([...bin]);
    expect(parts[1]!.data.buffer).toBe(body.buffer); // a view into the body
    // No preamble, transport padding after the delimiter, an empty part.
    const p2 = parseMultipart(enc('--b  \r\nContent-Disposition: form-data; name="e"\r\n\r\n\r\n--b--'), 'b');
    expect(p2).toHaveLength(1);
    expect(p2[0]!.data.byteLength).toBe(0);
  });

  it('refuses truncated and malformed bodies with BAD_REQUEST', () => {
    const bad = (s: string) => () => parseMultipart(enc(s), 'b');
    expect(bad('no delimiter at all')).toThrow(/no boundary/);
    expect(bad('--b\r\nContent-Disposition: form-data; name="f"\r\n\r\ndata without end')).toThrow(/truncated/);
    expect(bad('--b\r\nContent-Disposition: form-data; name="f"')).toThrow(/headers/);
    expect(bad('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--')).toThrow(/Content-Disposition/);
    expect(bad('--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--')).toThrow(/name/);
    expect(bad('--b\r\nbroken header\r\n\r\nx\r\n--b--')).toThrow(/malformed/);
    expect(bad('--bX\r\n')).toThrow(/CRLF/);
    const many = '--b\r\n' + Array.from({ length: 33 }, (_, i) => `Content-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n--b\r\n`).join('') + '--';
    expect(() => parseMultipart(enc(many), 'b')).toThrow(/more than 32 parts/);
    expect(bad('--b\r\n')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('readUpload', () => {
  const wavHead = cat('RIFF\0\0\0\0WAVEfmt ', new Uint8Array(20));

  it('raw body: audio/* or octet-stream, title and id from the query, X-Filename percent-decoded', () => {
    const u = readUpload(req(wavHead, { 'content-type': 'audio/wav', 'x-filename': 'caf%C3%A9.wav' }, 'title=Caf%C3%A9&id=cafe'));
    expect(u).toMatchObject({ filename: 'café.wav', title: 'Café', id: 'cafe', contentType: 'audio/wav' });
    expect(readUpload(req(wavHead, { 'content-type': 'application/octet-stream' })).filename).toBeUndefined();
    expect(readUpload(req(wavHead, { 'content-type': 'audio/wav', 'x-filename': 'C:\\fakepath\\x.mp3' })).filename).toBe('x.mp3');
    expect(() => readUpload(req(wavHead, { 'content-type': 'text/plain' }))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA' }));
    expect(() => readUpload(req(wavHead, {}))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA' }));
    expect(() => readUpload(req(new Uint8Array(0), { 'content-type': 'audio/wav' }))).toThrow(/empty/);
    expect(() => readUpload(req(wavHead, { 'content-type': 'audio/wav' }, `title=${'t'.repeat(201)}`))).toThrow(/title must be at most 200/);
  });

  it('multipart: exactly one file part; title and id fields', () => {
    const body = cat(
      '--B\r\nContent-Disposition: form-data; name="id"\r\n\r\nmy-id\r\n',
      '--B\r\nContent-Disposition: form-data; name="upload"; filename="x.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n',
      wavHead,
      '\r\n--B--\r\n',
    );
    const u = readUpload(req(body, { 'content-type': 'multipart/form-data; boundary=B' }));
    expect(u).toMatchObject({ filename: 'x.mp3', id: 'my-id', title: undefined, contentType: 'audio/mpeg' });
    expect(Buffer.from(u.bytes).equals(wavHead)).toBe(true);
    // The sniffed container wins over the name and the declared type.
    expect(uploadExtension(u)).toBe('.wav');
    const two = cat(
      '--B\r\nContent-Disposition: form-data; name="a"; filename="1.wav"\r\n\r\nx\r\n',
      '--B\r\nContent-Disposition: form-data; name="b"; filename="2.wav"\r\n\r\ny\r\n--B--',
    );
    expect(() => readUpload(req(two, { 'content-type': 'multipart/form-data; boundary=B' }))).toThrow(/exactly one file part \(got 2\)/);
    const none = cat('--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--B--');
    expect(() => readUpload(req(none, { 'content-type': 'multipart/form-data; boundary=B' }))).toThrow(/got 0/);
  });

  it('picks the stored extension: sniffed, then the name, then the type', () => {
    expect(sniffExtension(enc('ID3\x04rest'))).toBe('.mp3');
    expect(sniffExtension(new Uint8Array([0xff, 0xfb, 0x90, 0]))).toBe('.mp3');
    expect(sniffExtension(new Uint8Array([0xff, 0xf1, 0x50, 0]))).toBe('.aac');
    expect(sniffExtension(enc('OggS...'))).toBe('.ogg');
    expect(sniffExtension(enc('fLaC...'))).toBe('.flac');
    expect(sniffExtension(enc('\0\0\0\x20ftypM4A '))).toBe('.m4a');
    const junk = enc('hello');
    expect(uploadExtension({ bytes: junk, filename: 'a.FLAC', contentType: undefined })).toBe('.flac');
    expect(uploadExtension({ bytes: junk, filename: 'a.html', contentType: 'audio/mpeg' })).toBe('.mp3');
    expect(uploadExtension({ bytes: junk, filename: undefined, contentType: 'application/octet-stream' })).toBe('.audio');
  });
});
