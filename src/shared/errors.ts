/**
 * The one error type of Harmonizer RL. Every expected failure carries a machine-readable `code`;
 * the HTTP layer maps codes to statuses in one table (`httpStatusOf`) and the CLI prints the
 * message and exits non-zero. Anything that is not a HarmonizerError is a bug: logged, 500.
 */
export const ErrorCodes = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_EVENT: 400,
  INVALID_LABEL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  AUDIO_TOO_LONG: 413,
  UNSUPPORTED_MEDIA: 415,
  RANGE_NOT_SATISFIABLE: 416,
  QUEUE_FULL: 503,
  STORE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  SERVER_BUSY: 503,
  STORAGE_UNAVAILABLE: 503,
  INSUFFICIENT_STORAGE: 507,
  INVALID_CONFIG: 0,
  INVALID_ARGUMENT: 0,
  DECODE_FAILED: 0,
  RENDER_FAILED: 0,
  TRAINING_REFUSED: 0,
  ANALYSIS_FAILED: 0,
  EVALUATION_REFUSED: 0,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorDetail {
  index?: number;
  field?: string;
  message: string;
}

export class HarmonizerError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** Extra response headers, e.g. Retry-After for QUEUE_FULL. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HarmonizerError';
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers;
  }
}

/** HTTP status for an error: the code's status, or 500 for codes that are not request errors. */
export function httpStatusOf(err: HarmonizerError): number {
  const status = ErrorCodes[err.code];
  return status === 0 ? 500 : status;
}

export function isHarmonizerError(err: unknown): err is HarmonizerError {
  return err instanceof HarmonizerError;
}

/**
 * What an operating-system or SQLite error means for a client, as a sentence without paths or the raw
 * message (those go to the server log): a full disk, a read-only or forbidden data directory, too many
 * open files or an I/O error are all "the server cannot store this now" (503), never a 500 with
 * "ENOSPC: no space left on device, write" in the body.
 */
const STORAGE_CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  SQLITE_FULL: 'the disk is full',
  EROFS: 'the data directory is read-only',
  SQLITE_READONLY: 'the data directory is read-only',
  EACCES: 'the server may not write to its data directory',
  EPERM: 'the server may not write to its data directory',
  SQLITE_CANTOPEN: 'the database cannot be opened',
  EMFILE: 'the server has too many open files',
  ENFILE: 'the system has too many open files',
  EIO: 'the disk reported an I/O error',
  SQLITE_IOERR: 'the disk reported an I/O error',
  EBUSY: 'a file the server needs is busy',
  ECONNREFUSED: 'the database does not accept connections',
  ECONNRESET: 'the database connection was lost',
  ETIMEDOUT: 'the database does not answer',
  EPIPE: 'the database connection was lost',
};

/** PostgreSQL SQLSTATE classes that mean "the database cannot take this now" (53xxx: disk, memory, connections). */
function sqlstateCause(code: string): string | undefined {
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code.startsWith('08')) return 'the database connection failed';
  if (code.startsWith('53')) return 'the database server is out of disk, memory or connections';
  if (code.startsWith('57P0')) return 'the database server is shutting down or restarting';
  if (code === '25006') return 'the database is read-only';
  return undefined;
}

/**
 * The storage cause of an error, if it is one: its errno or SQLite code (extended codes folded), its
 * cause's, or an errno named in its message (a worker's error crosses the thread boundary as text:
 * "cannot write …: EROFS: read-only file system, open …").
 */
export function storageCause(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== 'object' || depth > 4) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    const hit = STORAGE_CAUSES[code] ?? STORAGE_CAUSES[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')] ?? sqlstateCause(code);
    if (hit) return hit;
  }
  const inner = storageCause((err as { cause?: unknown }).cause, depth + 1);
  if (inner) return inner;
  const named = /(?:^|: )(E[A-Z]{2,}|SQLITE_[A-Z]+)(?=[:,\s]|$)/.exec((err as { message?: unknown }).message as string ?? '');
  return named ? STORAGE_CAUSES[named[1]!] : undefined;
}

/**
 * A storage failure as STORAGE_UNAVAILABLE (503, Retry-After) with a sentence. Errors that already
 * answer a request error (4xx, 503) stay as they are; a 500-class one caused by storage is mapped.
 */
export function fromStorageError(err: unknown, doing = 'store this'): unknown {
  if (err instanceof HarmonizerError && ErrorCodes[err.code] !== 0) return err;
  const cause = storageCause(err);
  if (cause === undefined) return err;
  return new HarmonizerError('STORAGE_UNAVAILABLE', `cannot ${doing} now: ${cause}; retry later`, { cause: err, headers: { 'Retry-After': '30' } });
}

/** A short catalogue of factories for the errors raised in more than one place. */
export const errors = {
  badRequest: (message: string, details?: ErrorDetail[]) =>
    new HarmonizerError('BAD_REQUEST', message, { details }),
  notFound: (what: string) => new HarmonizerError('NOT_FOUND', `${what} not found`),
  unauthorized: (message = 'missing or invalid labeler token') =>
    new HarmonizerError('UNAUTHORIZED', message),
  invalidConfig: (message: string) => new HarmonizerError('INVALID_CONFIG', message),
  invalidArgument: (message: string) => new HarmonizerError('INVALID_ARGUMENT', message),
  queueFull: (retryAfterSeconds: number) =>
    new HarmonizerError('QUEUE_FULL', 'write queue is full, retry later', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
};
