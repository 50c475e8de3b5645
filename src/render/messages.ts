/**
 * The typed worker boundary of the render pool. Everything here is structured-cloneable; PCM travels as
 * SharedArrayBuffers, which postMessage SHARES (both sides see the same memory), never copies.
 * Failures come back as values (`ok: false`) so the error code survives the thread boundary
 * (structured clone keeps an Error's message but drops custom fields such as `code`).
 */

/** Decoded PCM of one track in shared memory: one SharedArrayBuffer of float32 samples per channel. */
export interface SharedPcm {
  readonly sha256: string;
  readonly sampleRate: number;
  /** Samples per channel. */
  readonly length: number;
  readonly channels: readonly SharedArrayBuffer[];
  /**
   * The same samples as interleaved little-endian 16-bit PCM (encodePcm16 of the whole track, made once
   * at decode): a snippet's gain-1 segments, all of it but the crossfade, are then a copy of bytes, not
   * a float→int conversion per sample (that conversion was ~60 % of a worker's time per snippet).
   * Optional: without it the worker converts from the float channels, bit-identically.
   */
  readonly pcm16?: SharedArrayBuffer;
}

export type SnippetKind = 'jump' | 'reference';

export interface RenderTask {
  readonly event_id: string;
  readonly kind: SnippetKind;
  /** Seconds. */
  readonly sourceTime: number;
  /** Seconds (ignored for 'reference'). */
  readonly targetTime: number;
  /** Seconds before the jump. */
  readonly pre: number;
  /** Seconds after the jump. */
  readonly post: number;
  readonly crossfadeMs: number;
  readonly pcm: SharedPcm;
  /** Absolute folder; the file is `<event_id>.wav` or `<event_id>.ref.wav` inside it. */
  readonly outDir: string;
}

export interface RenderResult {
  readonly event_id: string;
  readonly kind: SnippetKind;
  /** Absolute path of the written WAV. */
  readonly path: string;
  readonly durationS: number;
  /** Where the splice sits within the clip (labeler marker); for 'reference', where it would have been. */
  readonly spliceOffsetS: number;
  /** Crossfade actually applied after clamping at the track ends, in seconds. */
  readonly fadeS: number;
  /** Wall time spent in the worker: plan + render + encode + write. */
  readonly renderMs: number;
  readonly bytes: number;
}

export interface DecodeTask {
  readonly path: string;
  /** When given, the file's bytes must hash to this (the cache is keyed by it). */
  readonly sha256?: string;
  readonly maxPcmBytes?: number;
  /** Also make SharedPcm.pcm16 (the renderer's decodes; not probes or analyses, which would only pay its memory). */
  readonly pcm16?: boolean;
}

export interface DecodeResult {
  readonly pcm: SharedPcm;
  readonly decoder: 'audio-decode' | 'ffmpeg';
  readonly decodeMs: number;
}

/** Error codes a worker may report; a subset of the project's ErrorCode. */
export type WorkerErrorCode = 'DECODE_FAILED' | 'RENDER_FAILED' | 'INVALID_ARGUMENT';

export interface WorkerFailure {
  readonly ok: false;
  readonly code: WorkerErrorCode;
  readonly message: string;
  /** Whether a retry later may succeed (failures.ts states the rule); decided where the cause is known. */
  readonly temporary: boolean;
  /** The OS error behind the failure ("EACCES", "ENOSPC", ...), when there was one. */
  readonly osCode?: string;
}

export type WorkerReply<T> = { readonly ok: true; readonly value: T } | WorkerFailure;

/** File-name-safe event ids: they become file names, so nothing that could leave outDir. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The file name a snippet is written under. Precondition: `EVENT_ID_PATTERN.test(eventId)`. */
export function snippetFileName(eventId: string, kind: SnippetKind): string {
  return kind === 'reference' ? `${eventId}.ref.wav` : `${eventId}.wav`;
}
