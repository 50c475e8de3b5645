/**
 * Piscina worker of the render pool (loaded from dist/src/render/worker.js).
 *
 * default export `render`: validate → plan (splice.ts) → render + encode 16-bit WAV into per-thread scratch →
 * write `<outDir>/.<name>.<random>.tmp` → rename to `<event_id>.wav` / `<event_id>.ref.wav`.
 * rename(2) within one folder is atomic: readers see no file or the whole file, never a partial one, and
 * rendering an event twice replaces the file (one file per event). A crash leaves at most a dot-temp file.
 *
 * named export `decode`: decode a track straight into SharedArrayBuffers, off the main thread.
 *
 * Both reply with values (`WorkerReply`) so the error code survives the thread boundary.
 */
import { tempFileName } from '../shared/temp-files.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isHarmonizerError } from '../shared/errors.js';
import {
  EVENT_ID_PATTERN,
  snippetFileName,
  type DecodeResult,
  type DecodeTask,
  type RenderResult,
  type RenderTask,
  type WorkerErrorCode,
  type WorkerReply,
} from './messages.js';
import { hasTemporaryCause, isTemporaryFailure, osErrorCode } from './failures.js';
import { decodeToShared, pcmViews } from './pcm-cache.js';
import { equalPowerGains, fadeWindow, planReference, planSplice, renderSplice, SpliceRangeError } from './splice.js';
import { allocWav, encodePcm16, wavByteLength } from './wav.js';

/** A failure with its code; `cause` keeps the OS error (or temporaryCause) that makes it temporary. */
class TaskError extends Error {
  constructor(readonly code: WorkerErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * Per-thread scratch memory reused by every snippet: fresh multi-megabyte arrays per snippet cost more
 * in page faults and GC than the splice itself. Bounded: clips longer than SCRATCH_MAX_FRAMES use
 * temporary buffers instead of growing the scratch.
 */
const SCRATCH_MAX_FRAMES = 60 * 48000;
let scratchFade: Float32Array[] = [];
let scratchWav: ArrayBuffer | undefined;

/** Float buffers for the crossfade (≤ 1 s at the 1000 ms option maximum, so always retained). */
function fadeScratch(nch: number, frames: number): Float32Array[] {
  if (scratchFade.length < nch || scratchFade[0].length < frames) {
    const cap = Math.max(frames, scratchFade[0]?.length ?? 0);
    scratchFade = Array.from({ length: Math.max(nch, scratchFade.length) }, () => new Float32Array(cap));
  }
  return scratchFade.slice(0, nch);
}

function wavScratch(bytes: number): ArrayBuffer | undefined {
  if (bytes > wavByteLength(SCRATCH_MAX_FRAMES, 2)) return undefined;
  if (!scratchWav || scratchWav.byteLength < bytes) scratchWav = new ArrayBuffer(bytes);
  return scratchWav;
}

/** Cache of gain curves by length: every snippet of a run uses the same crossfade. */
const gainCache = new Map<number, Float32Array>();
function gainsFor(n: number): Float32Array {
  let g = gainCache.get(n);
  if (!g) {
    if (gainCache.size > 16) gainCache.clear(); // bounded: lengths come from a config value
    g = equalPowerGains(n);
    gainCache.set(n, g);
  }
  return g;
}

function validate(task: RenderTask): void {
  const bad = (field: string, why: string) => {
    throw new TaskError('INVALID_ARGUMENT', `render task ${String(task?.event_id)}: ${field} ${why}`);
  };
  if (typeof task !== 'object' || task === null) bad('task', 'must be an object');
  if (typeof task.event_id !== 'string' || !EVENT_ID_PATTERN.test(task.event_id)) bad('event_id', `must match ${EVENT_ID_PATTERN}`);
  if (task.kind !== 'jump' && task.kind !== 'reference') bad('kind', "must be 'jump' or 'reference'");
  if (typeof task.outDir !== 'string' || !isAbsolute(task.outDir)) bad('outDir', 'must be an absolute path');
  const pcm = task.pcm;
  if (!pcm || !Array.isArray(pcm.channels) || pcm.channels.length === 0) bad('pcm.channels', 'must hold at least one channel');
  if (!Number.isSafeInteger(pcm.length) || pcm.length <= 0) bad('pcm.length', 'must be a positive integer');
  if (!(pcm.sampleRate > 0) || !Number.isInteger(pcm.sampleRate)) bad('pcm.sampleRate', 'must be a positive integer');
  for (const c of pcm.channels) {
    if (!(c instanceof SharedArrayBuffer) || c.byteLength < pcm.length * 4) bad('pcm.channels', `must be SharedArrayBuffers of ≥ ${pcm.length * 4} bytes`);
  }
  if (pcm.pcm16 !== undefined && (!(pcm.pcm16 instanceof SharedArrayBuffer) || pcm.pcm16.byteLength < pcm.length * pcm.channels.length * 2)) {
    bad('pcm.pcm16', `must be a SharedArrayBuffer of ≥ ${pcm.length * pcm.channels.length * 2} bytes`);
  }
}

async function renderTask(task: RenderTask): Promise<RenderResult> {
  const t0 = performance.now();
  validate(task);
  const { pcm } = task;
  const req = {
    sourceTime: task.sourceTime,
    targetTime: task.kind === 'reference' ? task.sourceTime : task.targetTime,
    pre: task.pre,
    post: task.post,
    crossfadeMs: task.crossfadeMs,
    sampleRate: pcm.sampleRate,
    length: pcm.length,
  };
  let plan;
  try {
    plan = task.kind === 'reference' ? planReference(req) : planSplice(req);
  } catch (e) {
    if (e instanceof SpliceRangeError) throw new TaskError('RENDER_FAILED', `event ${task.event_id}: ${e.message}`);
    throw e;
  }
  if (plan.totalSamples === 0) throw new TaskError('RENDER_FAILED', `event ${task.event_id}: the clip is empty (pre = post = 0 or both clamped away)`);

  const input = pcmViews(pcm); // zero-copy views over the shared PCM
  // Gain-1 segments (all but the fade) are encoded straight from the shared PCM; only the crossfade is
  // rendered to float first, through the same renderSplice the browser uses. Saves a full float copy
  // of the clip per snippet (~20 % of the render time); test/render-pool checks the result is
  // bit-identical to renderSplice + encodeWav of the whole plan.
  const nch = input.length;
  const { file: wav, samples } = allocWav(wavScratch(wavByteLength(plan.totalSamples, nch)), nch, pcm.sampleRate, plan.totalSamples);
  // With the track's 16-bit copy the gain-1 segments are a memcpy (the same values encodePcm16 gives).
  const pcm16 = pcm.pcm16 === undefined ? undefined : new Int16Array(pcm.pcm16, 0, pcm.length * nch);
  for (const seg of plan.segments) {
    if (seg.gain !== 'none') continue;
    if (pcm16) samples.set(pcm16.subarray(seg.srcStart * nch, (seg.srcStart + seg.length) * nch), seg.outStart * nch);
    else encodePcm16(input, seg.srcStart, seg.length, samples, seg.outStart);
  }
  if (plan.fadeSamples > 0) {
    const fade = fadeWindow(plan);
    const out = fadeScratch(nch, plan.fadeSamples);
    renderSplice(input, fade, out, gainsFor(plan.fadeSamples));
    encodePcm16(out, 0, plan.fadeSamples, samples, plan.spliceOffsetSamples - plan.fadeBefore);
  }

  const name = snippetFileName(task.event_id, task.kind);
  const finalPath = join(task.outDir, name);
  const tmp = join(task.outDir, tempFileName(name, randomBytes(6).toString('hex')));
  try {
    writeAtomically(task.outDir, tmp, finalPath, wav);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    // The OS error stays the cause: it makes the failure temporary (a folder's permissions, a full disk).
    throw new TaskError('RENDER_FAILED', `event ${task.event_id}: cannot write ${finalPath}: ${(e as Error).message}`, e);
  }
  return {
    event_id: task.event_id,
    kind: task.kind,
    path: finalPath,
    durationS: plan.totalSamples / pcm.sampleRate,
    spliceOffsetS: plan.spliceOffsetSamples / pcm.sampleRate,
    fadeS: plan.fadeSamples / pcm.sampleRate,
    renderMs: performance.now() - t0,
    bytes: wav.length,
  };
}

/**
 * Synchronous I/O on purpose: this is a worker thread whose whole job is this task, and the sync
 * calls skip a hop through libuv's small shared thread pool (and let `wav` alias the scratch).
 * A snippets folder removed while the renderer runs (ENOENT) is created again once, here: the main
 * thread creates it only on first use.
 */
function writeAtomically(dir: string, tmp: string, finalPath: string, wav: Uint8Array): void {
  try {
    writeFileSync(tmp, wav);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, wav);
  }
  renameSync(tmp, finalPath);
}

function failure(e: unknown, fallback: WorkerErrorCode): WorkerReply<never> {
  const osCode = osErrorCode(e);
  const extra = osCode === undefined ? {} : { osCode };
  if (e instanceof TaskError) {
    return { ok: false, code: e.code, message: e.message, temporary: e.code !== 'INVALID_ARGUMENT' && hasTemporaryCause(e), ...extra };
  }
  if (isHarmonizerError(e) && (e.code === 'DECODE_FAILED' || e.code === 'RENDER_FAILED' || e.code === 'INVALID_ARGUMENT')) {
    return { ok: false, code: e.code, message: e.message, temporary: isTemporaryFailure(e), ...extra };
  }
  return { ok: false, code: fallback, message: e instanceof Error ? e.message : String(e), temporary: true, ...extra };
}

export default async function render(task: RenderTask): Promise<WorkerReply<RenderResult>> {
  try {
    return { ok: true, value: await renderTask(task) };
  } catch (e) {
    return failure(e, 'RENDER_FAILED');
  }
}

export async function decode(task: DecodeTask): Promise<WorkerReply<DecodeResult>> {
  const t0 = performance.now();
  try {
    if (typeof task?.path !== 'string' || task.path === '') throw new TaskError('INVALID_ARGUMENT', 'decode task: path must be a non-empty string');
    const { pcm, decoder } = await decodeToShared(task.path, task.sha256, task.maxPcmBytes, { pcm16: task.pcm16 === true });
    return { ok: true, value: { pcm, decoder, decodeMs: performance.now() - t0 } };
  } catch (e) {
    return failure(e, 'DECODE_FAILED');
  }
}
