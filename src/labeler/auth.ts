import { randomBytes } from 'node:crypto';
import type { Config } from '../shared/config.js';
import { HarmonizerError, errors } from '../shared/errors.js';
import { presentedToken, tokenMatches } from '../http/token.js';
import type { Handler } from '../http/types.js';

export { presentedToken, tokenMatches };

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

/**
 * The labeler API's guard. A per-labeler token (RL_LABELER_TOKENS) names its labeler: the request's
 * X-Labeler-Name is replaced by that name, whatever the client sent. The shared token (when accepted)
 * keeps the self-declared name, which is recorded but proves nothing: the token is the only
 * authentication. Without either, 401 JSON.
 */
export function requireLabeler(shared: string | undefined, perLabeler: ReadonlyMap<string, string> | undefined, handler: Handler): Handler {
  return (req) => {
    const presented = presentedToken(req);
    if (perLabeler && presented !== undefined) {
      // Every token is compared (constant time each), so the time taken does not tell which one matched.
      let name: string | undefined;
      for (const [tok, who] of perLabeler) if (tokenMatches(presented, tok)) name = who;
      if (name !== undefined) return handler({ ...req, headers: { ...req.headers, 'x-labeler-name': encodeURIComponent(name) } });
    }
    if (shared !== undefined && tokenMatches(presented, shared)) {
      // A name that has its own token must be proven by it: the shared token cannot label as "ann".
      if (perLabeler && claimsTokenName(req, perLabeler)) {
        throw new HarmonizerError('FORBIDDEN', 'this labeler name has its own token (RL_LABELER_TOKENS): sign in with it');
      }
      return handler(req);
    }
    throw errors.unauthorized(
      presented === undefined
        ? 'labeler token required: send "Authorization: Bearer <token>" or "X-Labeler-Token"'
        : 'invalid labeler token',
    );
  };
}

/** True when the request's self-declared labeler name is one that a per-labeler token names. */
function claimsTokenName(req: Parameters<Handler>[0], perLabeler: ReadonlyMap<string, string>): boolean {
  let name = req.headers['x-labeler-name'];
  if (name === undefined) return false;
  try {
    name = decodeURIComponent(name);
  } catch {
    return false; // malformed: the handler refuses it
  }
  const claimed = name.trim();
  for (const who of perLabeler.values()) if (who === claimed) return true;
  return false;
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
