/**
 * The transport-neutral request/response of every HTTP handler. Handlers are plain functions
 * (HttpRequest in, HttpResponse out) that tests call without a socket; only src/http/uws.ts knows
 * about uWebSockets.js.
 */
export interface HttpRequest {
  method: string;
  /** Path without the query string, e.g. /api/rl/policy */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string>>;
  /** Route parameters (":id" segments). */
  params: Readonly<Record<string, string>>;
  /** The body (empty for GET). */
  body: Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** A byte range of an open file instead of `body`: the adapter streams it (never buffered whole). */
  file?: FileBody;
}

/**
 * A byte range of an open file. The adapter reads it in small chunks and sends each one only when the
 * socket has room (back-pressure), so a response costs one chunk of memory however large the file and
 * however slowly the client reads. Whoever ends up with the response closes the handle (`close()`).
 */
export interface FileBody {
  readonly start: number;
  readonly length: number;
  read(into: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Path pattern with ":name" segments, e.g. /api/tracks/:id/audio */
  pattern: string;
  handler: Handler;
  /** Largest body this route reads; above it the adapter answers 413 without buffering more. */
  maxBodyBytes?: number;
  /** Answers cross-origin requests: the router adds the CORS headers to every answer, errors included. */
  cors?: boolean;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export const noContent = (): HttpResponse => ({ status: 204 });
