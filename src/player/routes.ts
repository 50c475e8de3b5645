/**
 * The player's routes: the page at GET / and its bundle (esbuild output of src/player/browser/main.ts,
 * dist/public/player.js). The page holds no data, so it is public.
 */
import { builtAsset } from '../http/assets.js';
import type { Route } from '../http/types.js';
import { publicDir as defaultPublicDir } from '../shared/paths.js';
import { PLAYER_PAGE, PLAYER_PAGE_HEADERS } from './page.js';

export interface PlayerRoutesOptions {
  /** Folder of the bundled player.js; default dist/public. */
  publicDir?: string;
}

/** A small icon, so browsers' /favicon.ico request is not a 404 in every page's console. */
const FAVICON = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#15171c" stroke="#ffb347" stroke-width="3"/>' +
    '<path d="M9 20 Q16 4 23 20" fill="none" stroke="#3fb950" stroke-width="3" stroke-linecap="round"/></svg>',
);

export function playerRoutes(opts: PlayerRoutesOptions = {}): Route[] {
  const dir = opts.publicDir ?? defaultPublicDir;
  const asset = (file: string, type: string) => builtAsset(dir, file, type);
  return [
    { method: 'GET', pattern: '/', handler: () => ({ status: 200, headers: { ...PLAYER_PAGE_HEADERS }, body: PLAYER_PAGE }) },
    { method: 'GET', pattern: '/favicon.ico', handler: () => ({ status: 200, headers: { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400', 'X-Content-Type-Options': 'nosniff' }, body: FAVICON }) },
    { method: 'GET', pattern: '/player.js', handler: asset('player.js', 'text/javascript; charset=utf-8') },
    { method: 'GET', pattern: '/player.js.map', handler: asset('player.js.map', 'application/json; charset=utf-8') },
  ];
}
