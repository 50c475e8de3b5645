import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../shared/config.js';
import { errors } from '../shared/errors.js';
import type { Handler, HttpRequest } from '../http/types.js';

/**
 * The labeler's token: RL_LABELER_TOKEN, or a random 32-byte base64url token made at start-up
 * (`generated: true`: the server prints the labeler URL with it, as Jupyter does). The labeler is
 * never open without a token.
 */
export function resolveLabelerToken(config: Pick<Config, 'labelerToken'>): { token: string; generated: boolean } {
  if (config.labelerToken !== undefined) return { token: config.labelerToken, generated: false };
  return { token: randomBytes(32).toString('base64url'), generated: true };
}

/** The URL to open: the page accepts ?token= once, stores it and removes it from the address bar. */
export function labelerUrl(host: string, port: number, token: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}/rl/labeler?token=${encodeURIComponent(token)}`;
}

/** The token a request carries: `Authorization: Bearer <t>` or `X-Labeler-Token: <t>`. */
export function presentedToken(req: Pick<HttpRequest, 'headers'>): string | undefined {
  const auth = req.headers['authorization'];
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return req.headers['x-labeler-token'];
}

/**
 * Constant-time check. Both sides are hashed first: timingSafeEqual needs equal lengths, and
 * comparing digests leaks neither the token's content nor its length through timing.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || presented === '') return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Wraps a handler so it runs only for requests with the right token (401 JSON otherwise). */
export function requireToken(token: string, handler: Handler): Handler {
  return (req) => {
    const presented = presentedToken(req);
    if (!tokenMatches(presented, token)) {
      throw errors.unauthorized(
        presented === undefined
          ? 'labeler token required: send "Authorization: Bearer <token>" or "X-Labeler-Token"'
          : 'invalid labeler token',
      );
    }
    return handler(req);
  };
}
