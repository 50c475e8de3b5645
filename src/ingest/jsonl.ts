import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/**
 * The JSONL mirror of accepted events: one JSON object per line, written before the SQLite
 * transaction holding the same events commits and fdatasync'ed before any of them is acknowledged,
 * so the file always holds at least every acknowledged event. It is the backup, the power-loss
 * log, and the source of recovery / replay.
 */
export class JsonlMirror {
  private fd: number;
  /** Bytes in the file: complete lines only (a torn tail is cut at open). */
  private bytes: number;
  /** Which file this is ("device:inode"): a replaced mirror is another file, whatever its name. */
  readonly fileId: string;
  /** A write failed part-way and the file may end in half a line. */
  private torn = false;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    repairTail(path);
    this.fd = openSync(path, 'a');
    const st = fstatSync(this.fd);
    this.bytes = st.size;
    this.fileId = `${st.dev}:${st.ino}`;
  }

  /** The file's size: the offset after the last line written. */
  get size(): number {
    return this.bytes;
  }

  /** Writes lines (joined by "\n", without the last newline) to the file, not yet durably. Synchronous: it runs inside a write transaction. */
  write(text: string): void {
    if (text.length === 0) return;
    // A failed write before this one (the cut-back failed too) is cut first: nothing may be appended to
    // half a line, or the next acknowledged event would share a line with it and be unreadable.
    if (this.torn) this.cutBack();
    const buf = Buffer.from(text + '\n', 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      // ENOSPC (or EIO) after part of the text was written: back to the last complete line.
      this.torn = true;
      try {
        this.cutBack();
      } catch {
        // Left torn: the next write (or repairTail at the next start) cuts it.
      }
      throw err;
    }
    this.bytes += buf.length;
  }

  /** Cuts the file back to `size` bytes (a line boundary): the lines of a group that did not commit. */
  truncateTo(size: number): void {
    if (size > this.bytes) throw new Error(`cannot truncate the mirror forward (${size} > ${this.bytes})`);
    this.bytes = size;
    this.cutBack();
  }

  /** Truncates the file to its last complete line (the size before the failed write). */
  private cutBack(): void {
    ftruncateSync(this.fd, this.bytes);
    this.torn = false;
  }

  /** Makes everything written so far durable (blocking). */
  syncNow(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * Cuts a torn last line (a crash between write and newline). Such a line never committed, because
 * the commit follows the fsync of complete lines, so dropping it loses nothing acknowledged.
 * Returns the number of bytes removed.
 */
export function repairTail(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    // Scan backwards for the last newline.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const idx = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (idx >= 0) {
        const keep = start + idx + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    return size;
  } finally {
    closeSync(fd);
  }
}

/**
 * Iterates the complete lines of a file from byte `start` (a line boundary) with a fixed-size buffer
 * (files may be large).
 */
export function* readLines(path: string, bufferBytes = 1 << 20, start = 0): IterableIterator<string> {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bufferBytes);
    // A character split across two reads is held back until its last byte is read.
    const utf8 = new StringDecoder('utf8');
    let carry = '';
    let position = start;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, position);
      position += n;
      if (n === 0) break;
      const text = carry + utf8.write(buf.subarray(0, n));
      const parts = text.split('\n');
      carry = parts.pop()!;
      for (const p of parts) if (p.length > 0) yield p;
    }
    // A last line without newline is torn: not yielded (see repairTail).
  } finally {
    closeSync(fd);
  }
}
