import { HarmonizerError, fromStorageError, httpStatusOf, isHarmonizerError } from '../shared/errors.js';
import type { HttpRequest, HttpResponse, Route } from './types.js';
import { json } from './types.js';
import { addCorsHeaders } from './cors.js';

export interface RouterOptions {
  /** Called with every answer of a matched route (metrics). */
  onResponse?: (route: Route, res: HttpResponse) => void;
}

interface Compiled {
  route: Route;
  segments: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** A small router over path segments; ":name" segments capture one segment. */
export class Router {
  private readonly routes: Compiled[] = [];

  constructor(
    routes: readonly Route[] = [],
    private readonly opts: RouterOptions = {},
  ) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): this {
    this.routes.push({ route, segments: route.pattern.split('/').filter(Boolean) });
    return this;
  }

  /** The matching route, or a 404/405 error. */
  match(method: string, path: string): Match {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
            break;
          }
        } else if (seg !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (c.route.method === method || (method === 'HEAD' && c.route.method === 'GET')) return { route: c.route, params };
    }
    if (pathMatched) throw new HarmonizerError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    throw new HarmonizerError('NOT_FOUND', `no route for ${method} ${path}`);
  }

  /** Dispatches a request: the one place where errors become responses. */
  async handle(req: HttpRequest): Promise<HttpResponse> {
    let route: Route | null = null;
    let res: HttpResponse;
    try {
      const m = this.match(req.method, req.path);
      route = m.route;
      res = await route.handler({ ...req, params: m.params });
    } catch (err) {
      res = errorResponse(err);
    }
    return route ? this.answered(route, res) : res;
  }

  /**
   * A route's answer as it leaves: CORS headers for a cross-origin route, counted by onResponse. The
   * adapter passes its own answers through here too (a body refused before it was read: 413, 503).
   */
  answered(route: Route, res: HttpResponse): HttpResponse {
    const out = route.cors ? addCorsHeaders(res) : res;
    this.opts.onResponse?.(route, out);
    return out;
  }
}

/**
 * Known errors map to their status and JSON body {error, code, details?}; anything else is a bug:
 * logged and answered with a plain 500 that reveals nothing.
 */
export function errorResponse(raw: unknown): HttpResponse {
  const err = fromStorageError(raw);
  if (err !== raw) console.error('storage error:', raw);
  if (isHarmonizerError(err)) {
    const body: Record<string, unknown> = { error: err.message, code: err.code };
    if (err.details) body.details = err.details;
    return json(httpStatusOf(err), body, err.headers ?? {});
  }
  console.error('internal error:', err);
  return json(500, { error: 'internal server error', code: 'INTERNAL' });
}
