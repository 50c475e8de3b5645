import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this module that holds package.json. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

/**
 * Absolute path of a compiled module under dist/src, e.g. distModule('render/worker.js').
 * Worker threads load JavaScript on Node 20, so pools always point at dist/ even when the
 * caller itself runs from TypeScript source (vitest).
 */
export function distModule(relative: string): string {
  return resolve(projectRoot, 'dist', 'src', relative);
}

/** Folder of the bundled browser assets (esbuild output). */
export const publicDir = resolve(projectRoot, 'dist', 'public');
