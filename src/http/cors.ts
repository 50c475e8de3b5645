import type { HttpResponse, Route } from './types.js';

/**
 * Cross-origin access for the player's API (HARMONIZER_CONFIG.apiBaseUrl may point a page on
 * another origin at this server). Beacons need nothing (sendBeacon posts text/plain without
 * reading the answer); reads of tracks, analysis, policy and model need Access-Control-Allow-Origin,
 * and an upload with X-Filename needs a preflight. The labeler API stays same-origin.
 */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'ETag, Location, Content-Range, Accept-Ranges',
};

/** The route, answering with CORS headers (added by the router, errors included). */
export function withCors(route: Route): Route {
  return { ...route, cors: true };
}

/** The response with the CORS headers added (a cross-origin page must be able to read a 404's JSON message too). */
export function addCorsHeaders(res: HttpResponse): HttpResponse {
  return { ...res, headers: res.headers ? { ...res.headers, ...CORS_HEADERS } : CORS_HEADERS };
}

/** An OPTIONS route answering the preflight of every method of `pattern`. */
export function preflight(pattern: string, methods: string[]): Route {
  return {
    method: 'OPTIONS',
    pattern,
    handler: () => ({
      status: 204,
      headers: {
        ...CORS_HEADERS,
        'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
        'Access-Control-Allow-Headers': 'Content-Type, X-Filename, If-None-Match, Range',
        'Access-Control-Max-Age': '600',
      },
    }),
  };
}

/** Wraps routes with CORS and adds one preflight route per pattern. */
export function corsRoutes(routes: Route[]): Route[] {
  const methods = new Map<string, string[]>();
  for (const r of routes) methods.set(r.pattern, [...(methods.get(r.pattern) ?? []), r.method]);
  return [...routes.map(withCors), ...[...methods].map(([p, m]) => preflight(p, m))];
}
