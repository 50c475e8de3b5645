import uWS from 'uWebSockets.js';
import { HarmonizerError } from '../shared/errors.js';
import { LARGE_BODY_SHARE } from '../shared/config.js';
import type { FileBody, HttpRequest, HttpResponse } from './types.js';
import { Router, errorResponse } from './router.js';

/**
 * The thin uWebSockets.js adapter: turns a uWS request into an HttpRequest, reads the body under the
 * route's size limit, runs the router, and writes the HttpResponse corked. The uWS rules live here
 * only: read headers synchronously (the uWS request object dies when the handler returns), register
 * onAborted before any async work, and never touch an aborted response.
 */
export interface UwsServer {
  readonly port: number;
  /** Stops accepting connections; resolves when in-flight requests have been answered. */
  stopAccepting(): Promise<void>;
  /** Requests read but not yet answered. */
  inFlight(): number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;
/** Bytes read from disk per step of a streamed file: the whole memory cost of one file response. */
const FILE_CHUNK = 64 * 1024;

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable',
  500: 'Internal Server Error', 503: 'Service Unavailable', 507: 'Insufficient Storage',
};

/** uWS ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT. */
const LISTEN_EXCLUSIVE_PORT = 1;

export interface ListenOptions {
  /**
   * Bytes of request bodies held at once, all requests together (default: no limit). A body is held from
   * the moment it is admitted until its handler has answered; one that would pass the budget is refused
   * with 503 SERVER_BUSY and Retry-After before it is read (its declared length counts at once; a body
   * without one counts as it arrives), so concurrent large uploads cannot exhaust memory. Bodies over
   * 1 MB only get LARGE_BODY_SHARE of it.
   */
  bodyBudgetBytes?: number;
}

/** Seconds a client refused for the body budget is told to wait. */
const BUSY_RETRY_AFTER_S = 5;
/**
 * Bodies up to this size (beacons, signals, labels) may use the whole budget; larger ones (uploads) only
 * LARGE_BODY_SHARE of it, so uploads that stall mid-body cannot shut out the beacons.
 */
const SMALL_BODY = 1024 * 1024;

export function listen(router: Router, host: string, port: number, opts: ListenOptions = {}): Promise<UwsServer> {
  const app = uWS.App();
  const budget = opts.bodyBudgetBytes ?? Number.POSITIVE_INFINITY;
  /** Bytes of bodies admitted and not yet released (received, or promised by a Content-Length). */
  let held = 0;
  const capFor = (bytes: number) => (bytes > SMALL_BODY ? budget * LARGE_BODY_SHARE : budget);
  let active = 0;
  let drained: (() => void) | null = null;
  const finished = () => {
    active--;
    if (active === 0 && drained) drained();
  };

  app.any('/*', (res, req) => {
    let aborted = false;
    // A streamed file waiting for the socket to drain is woken by the abort (a reader that stops reading
    // is closed by uWS's idle timeout), so its handle is closed and the request counted as finished.
    let wake: (() => void) | null = null;
    // Set while a body is being received: an abort then ends the request here (no handler will).
    let abortReceive: (() => void) | null = null;
    res.onAborted(() => {
      aborted = true;
      wake?.();
      abortReceive?.();
    });
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const rawQuery = req.getQuery();
    const query = new URLSearchParams(rawQuery ? rawQuery : undefined);
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });

    const writeHead = (r: HttpResponse) => {
      res.writeStatus(`${r.status} ${REASONS[r.status] ?? ''}`);
      if (r.headers) for (const k in r.headers) res.writeHeader(k, r.headers[k]!);
    };

    const send = (r: HttpResponse): void | Promise<void> => {
      if (r.file) return sendFile(r, r.file);
      if (aborted) return;
      res.cork(() => {
        writeHead(r);
        if (r.status === 204 || r.status === 304) res.endWithoutBody();
        else if (method === 'HEAD') res.endWithoutBody(r.body === undefined ? 0 : typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength);
        else res.end(r.body ?? '');
      });
      aborted = true; // the response is finished; nothing may touch it again
    };

    // Streams the file in chunks: each chunk is offered with tryEnd; when the socket is full, the rest of
    // the chunk waits for onWritable before the next one is read, so memory per response is one chunk.
    let first = true;
    const sendFile = async (r: HttpResponse, file: FileBody): Promise<void> => {
      try {
        if (aborted) return;
        if (method === 'HEAD' || file.length === 0) {
          res.cork(() => {
            writeHead(r);
            if (method === 'HEAD') res.endWithoutBody(file.length);
            else res.end('');
          });
          aborted = true;
          return;
        }
        const buf = Buffer.allocUnsafe(Math.min(FILE_CHUNK, file.length));
        let sent = 0;
        first = true;
        while (sent < file.length && !aborted) {
          const n = await file.read(buf, Math.min(buf.length, file.length - sent), file.start + sent);
          if (aborted) return;
          if (n === 0) {
            // The file shrank under us: the promised length cannot be sent, so the connection is cut.
            res.close();
            aborted = true;
            return;
          }
          const chunk = buf.subarray(0, n);
          let ok = false;
          let done = false;
          let base = 0;
          res.cork(() => {
            if (first) writeHead(r);
            first = false;
            base = res.getWriteOffset();
            [ok, done] = res.tryEnd(chunk, file.length);
          });
          if (!ok && !done) {
            done = await new Promise<boolean>((resolve) => {
              wake = () => resolve(true);
              res.onWritable((offset) => {
                if (aborted) {
                  resolve(true);
                  return true;
                }
                const [ok2, done2] = res.tryEnd(chunk.subarray(offset - base), file.length);
                if (ok2 || done2) resolve(done2);
                return ok2;
              });
            });
            wake = null;
          }
          if (done) break;
          sent += n;
        }
        aborted = true;
      } catch (err) {
        // A read error (EIO on a failing disk): an error answer if nothing was sent yet, else the
        // connection is cut (the promised length cannot be kept). Never an unhandled rejection.
        console.error('file response failed:', (err as Error).message);
        if (!aborted) {
          if (first) {
            const e = errorResponse(err);
            res.cork(() => {
              writeHead(e);
              res.end(e.body ?? '');
            });
          } else res.close();
          aborted = true;
        }
      } finally {
        await file.close().catch(() => {});
      }
    };

    active++;
    // This request's share of the body budget, given back once when it is over.
    let reserved = 0;
    const reserve = (bytes: number): boolean => {
      if (bytes <= reserved) return true;
      if (held - reserved + bytes > capFor(bytes)) return false;
      held += bytes - reserved;
      reserved = bytes;
      return true;
    };
    const release = () => {
      held -= reserved;
      reserved = 0;
    };
    const dispatch = (body: Uint8Array) => {
      router
        .handle({ method, path, query, headers, params: {}, body })
        .then(send, (err) => send(errorResponse(err)))
        .catch((err: unknown) => console.error('response failed:', err))
        .finally(() => {
          release();
          finished();
        });
    };

    if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS') {
      dispatch(new Uint8Array(0));
      return;
    }

    let route;
    try {
      route = router.match(method, path).route;
    } catch (err) {
      send(errorResponse(err));
      finished();
      return;
    }
    const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const tooLarge = () =>
      errorResponse(new HarmonizerError('PAYLOAD_TOO_LARGE', `body is larger than ${limit} bytes`));
    const busy = (bytes: number) =>
      errorResponse(
        new HarmonizerError(
          'SERVER_BUSY',
          `the server is receiving other request bodies (${mb(held - reserved)} held; RL_BODY_BUDGET_MB leaves ${mb(capFor(bytes))} for a body of this size, ${mb(bytes)}); retry later`,
          { headers: { 'Retry-After': String(BUSY_RETRY_AFTER_S) } },
        ),
      );
    // Answered without reading the rest of the body: the request is over and its budget share given back.
    const refuse = (r: HttpResponse) => {
      abortReceive = null;
      release();
      send(router.answered(route, r));
      finished();
    };
    const declared = Number(headers['content-length'] ?? NaN);
    if (declared > limit) {
      refuse(tooLarge());
      return;
    }
    const initial = Number.isFinite(declared) ? declared : Math.min(limit, 64 * 1024);
    if (!reserve(initial)) {
      refuse(busy(initial));
      return;
    }
    // Preallocate when the length is declared: one copy per chunk, no concatenation.
    let buf = Buffer.allocUnsafe(initial);
    let len = 0;
    let done = false;
    abortReceive = () => {
      // The client went away mid-body: nothing will dispatch this request.
      done = true;
      abortReceive = null;
      release();
      finished();
    };
    res.onData((chunk, isLast) => {
      if (done) return;
      const n = chunk.byteLength;
      if (len + n > limit) {
        done = true;
        refuse(tooLarge());
        return;
      }
      if (len + n > buf.length) {
        const size = Math.min(limit, Math.max(buf.length * 2, len + n));
        if (!reserve(size)) {
          done = true;
          refuse(busy(size));
          return;
        }
        const bigger = Buffer.allocUnsafe(size);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      buf.set(new Uint8Array(chunk), len);
      len += n;
      if (isLast) {
        done = true;
        abortReceive = null;
        dispatch(buf.subarray(0, len));
      }
    });
  });

  return new Promise((resolve, reject) => {
    // Exclusively: by default uWS sets SO_REUSEPORT, so a second server on a taken port would "listen"
    // too and the kernel would split the requests between two databases. The native listen takes
    // (host, port, options, cb); the typings omit that overload.
    const listenExclusive = app.listen as unknown as (h: string, p: number, o: number, cb: (s: uWS.us_listen_socket | false) => void) => void;
    listenExclusive.call(app, host, port, LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (!socket) {
        reject(new HarmonizerError('INVALID_CONFIG', `cannot listen on ${host}:${port} (in use or not permitted)`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket),
        inFlight: () => active,
        stopAccepting: () => {
          uWS.us_listen_socket_close(socket);
          if (active === 0) return Promise.resolve();
          return new Promise<void>((r) => {
            drained = r;
          });
        },
      });
    });
  });
}
