import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from './types.js';

/** The token a request carries: `Authorization: Bearer <t>` or the `header` (default `X-Labeler-Token: <t>`). */
export function presentedToken(req: Pick<HttpRequest, 'headers'>, header = 'x-labeler-token'): string | undefined {
  const auth = req.headers['authorization'];
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return req.headers[header];
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
