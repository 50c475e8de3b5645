/**
 * The player's routes: the page at GET / and its bundle (esbuild output of src/player/browser/main.ts,
 * dist/public/player.js). The page holds no data, so it is public.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Route } from '../http/types.js';
import { HarmonizerError } from '../shared/errors.js';
import { publicDir as defaultPublicDir } from '../shared/paths.js';
import { PLAYER_PAGE, PLAYER_PAGE_HEADERS } from './page.js';

export interface PlayerRoutesOptions {
  /** Folder of the bundled player.js; default dist/public. */
  publicDir?: string;
}

export function playerRoutes(opts: PlayerRoutesOptions = {}): Route[] {
  const dir = opts.publicDir ?? defaultPublicDir;
  const asset = (file: string, type: string) => async () => {
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch {
      throw new HarmonizerError('NOT_FOUND', `${file} is not built: run make build`);
    }
    return { status: 200, headers: { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }, body };
  };
  return [
    { method: 'GET', pattern: '/', handler: () => ({ status: 200, headers: { ...PLAYER_PAGE_HEADERS }, body: PLAYER_PAGE }) },
    { method: 'GET', pattern: '/player.js', handler: asset('player.js', 'text/javascript; charset=utf-8') },
    { method: 'GET', pattern: '/player.js.map', handler: asset('player.js.map', 'application/json; charset=utf-8') },
  ];
}
