import { HarmonizerError } from '../shared/errors.js';

/** Largest beacon body accepted (sendBeacon's own in-flight quota is 64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Content types a beacon may carry: sendBeacon with a string sends text/plain;charset=UTF-8, fetch
 * sends application/json, a bare client may send none. Anything else is refused with 415.
 */
export function checkContentType(contentType: string): void {
  if (contentType === '') return;
  const [type, ...params] = contentType.toLowerCase().split(';').map((s) => s.trim());
  if (type !== 'text/plain' && type !== 'application/json') {
    throw new HarmonizerError(
      'UNSUPPORTED_MEDIA',
      `unsupported Content-Type "${contentType}": send text/plain;charset=UTF-8 or application/json`,
    );
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HarmonizerError('UNSUPPORTED_MEDIA', `unsupported charset "${charset}": send UTF-8`);
  }
}

/** Decodes strict UTF-8 (invalid sequences are an error, not U+FFFD) and parses JSON. */
export function decodeJson(bytes: Uint8Array): { text: string; value: unknown } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HarmonizerError('INVALID_JSON', 'body is not valid UTF-8');
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (err) {
    throw new HarmonizerError('INVALID_JSON', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The events of a body: one event object, an array of events, or {"events": [...]}. */
export function eventsOf(value: unknown): unknown[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'object' && value !== null && Array.isArray((value as { events?: unknown }).events))
    items = (value as { events: unknown[] }).events;
  else if (typeof value === 'object' && value !== null) items = [value];
  else throw new HarmonizerError('BAD_REQUEST', 'body must be an event object, an array of events or {"events": [...]}');
  if (items.length === 0) throw new HarmonizerError('BAD_REQUEST', 'body holds no events');
  return items;
}
