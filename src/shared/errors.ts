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
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA: 415,
  RANGE_NOT_SATISFIABLE: 416,
  QUEUE_FULL: 503,
  STORE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
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
