/** Writing and reading model.json on disk (Node side; src/policy/model.ts stays browser-safe). */
import { tempFileName } from '../shared/temp-files.js';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { HarmonizerError } from '../shared/errors.js';
import { validateModelJson, type ModelJson } from '../policy/model.js';

/**
 * Writes the model atomically: a temp file in the same folder (same filesystem), fsync'd, then renamed
 * over `path`, so readers (the server's ActiveModel) see either the old file or the complete new one.
 * Validates first, so an invalid model is never written. The folder must exist.
 */
export async function writeModelFile(path: string, model: ModelJson): Promise<void> {
  validateModelJson(JSON.parse(JSON.stringify(model)));
  const tmp = join(dirname(path), tempFileName(basename(path), randomBytes(4).toString('hex')));
  try {
    await writeFile(tmp, JSON.stringify(model, null, 2) + '\n', { flush: true });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Reads and validates a model file. Throws INVALID_ARGUMENT for bad content, the fs error when missing. */
export async function readModelFile(path: string): Promise<ModelJson> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new HarmonizerError('INVALID_ARGUMENT', `invalid model.json: ${path} is not JSON`, { cause });
  }
  return validateModelJson(parsed);
}
