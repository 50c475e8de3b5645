/**
 * Which render failures are worth retrying, and when.
 *
 * The rule: a failure is PERMANENT when its cause is in the input — the event (an invalid id, times
 * outside the track, an unregistered track) or the audio itself (content no decoder can read, PCM
 * over the size limit). Retrying cannot change those. Everything caused by the machine is TEMPORARY:
 * any operating-system error (EACCES, EPERM, ENOSPC, EDQUOT, EMFILE, ENFILE, EIO, EROFS, EBUSY,
 * EAGAIN, ENOMEM, ENOENT, ENOTDIR, ...: a folder's permissions, a full disk, a file that is being
 * replaced), a worker thread or an ffmpeg child that died or timed out, a track file whose bytes no
 * longer match its registered hash (it is being replaced), and anything unexpected. Those go back to
 * `pending` with an exponential backoff (retryDelayMs) and give up only after MAX_TEMPORARY_ATTEMPTS,
 * about a day of retries; `harmonizer snippets --retry-failed` re-queues what gave up.
 *
 * How a temporary failure is recognised: somewhere in its `cause` chain there is an OS error (a
 * `code` like "EACCES", as Node's system errors carry) or a cause made by `temporaryCause`. The
 * worker boundary keeps both (messages.ts: WorkerFailure.temporary / osCode).
 */
import { isHarmonizerError } from '../shared/errors.js';

/** First retry delay after a temporary failure. */
export const RETRY_BASE_MS = 5_000;
/** Longest delay between two attempts. */
export const RETRY_MAX_MS = 10 * 60_000;
/**
 * Attempts after which a snippet failing temporarily is `failed` for good: 5 s, 10 s, … 320 s, then
 * every 10 min — 150 attempts span about 24 h (a weekend outage still needs --retry-failed).
 */
export const MAX_TEMPORARY_ATTEMPTS = 150;

const OS_CODE = /^E[A-Z0-9]+$/;
const MAX_CAUSE_DEPTH = 8;

/** Marks a failure that may pass though no OS error names it (a dead worker, a timed-out child). */
export function temporaryCause(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { temporary: true as const });
}

/** The first OS error code ("EACCES", ...) in the cause chain of `err`, or undefined. */
export function osErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && OS_CODE.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the cause chain of `err` (itself included) holds an OS error or a `temporaryCause`. */
export function hasTemporaryCause(err: unknown): boolean {
  if (osErrorCode(err) !== undefined) return true;
  let e: unknown = err;
  for (let i = 0; i < MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; i++) {
    if ((e as { temporary?: unknown }).temporary === true) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** True when retrying `err` later may succeed (see the module comment for the rule). */
export function isTemporaryFailure(err: unknown): boolean {
  if (!isHarmonizerError(err)) return true; // unexpected: a bug or the machine; the attempt cap bounds it
  if (err.code === 'INVALID_ARGUMENT') return false;
  return hasTemporaryCause(err);
}

/**
 * Delay before the next attempt after `attempts` failed ones (attempts ≥ 1): RETRY_BASE_MS · 2^(attempts−1),
 * capped at RETRY_MAX_MS. No jitter, on purpose: the retries are claimed from one queue in batches
 * (several renderers lease disjoint rows), so snippets due together cost one batch, not a stampede on
 * a shared service; a deterministic schedule is also what `last_error` / next_attempt_at show the
 * operator and what the tests check. Cost O(1).
 */
export function retryDelayMs(attempts: number): number {
  if (!Number.isSafeInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be an integer ≥ 1 (got ${String(attempts)})`);
  // 2^7 · 5 s already exceeds the cap: no large powers (and no overflow) are ever computed.
  return attempts > 8 ? RETRY_MAX_MS : Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
}
