import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarmonizerError } from '../shared/errors.js';
import type { Handler } from './types.js';

/**
 * A handler serving one built browser file (dist/public) with its content type; 404 with a hint when
 * it was not built. The bundles are small, so they are read whole; no-cache makes browsers revalidate.
 */
export function builtAsset(dir: string, file: string, contentType: string): Handler {
  return async () => {
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch {
      throw new HarmonizerError('NOT_FOUND', `${file} is not built: run make build`);
    }
    return { status: 200, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }, body };
  };
}
