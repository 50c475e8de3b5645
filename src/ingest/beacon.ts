import { isHarmonizerError, type ErrorCode, type ErrorDetail } from '../shared/errors.js';
import type { RejectedEvent } from '../shared/jump-event.js';
import { decodeJson, eventsOf } from './body.js';

/** Problems listed in a 400 body at most. */
export const MAX_DETAILS = 100;
/** Items whose reasons a dead letter keeps at most (the raw body is kept whole, up to 64 KiB). */
export const MAX_DEAD_LETTER_ITEMS = 2000;
/**
 * And at most about this much text of reasons: a 48 KB body of `[{},{},…]` has 24 000 items whose
 * reasons would be 445 KB, and a few hundred such letters would push every other out of the cap.
 */
export const MAX_DEAD_LETTER_DETAIL_CHARS = 32 * 1024;

/** Why a beacon is answered with an error instead of 204 (its valid items are stored anyway). */
export interface BeaconProblem {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

export interface BeaconRead<T> {
  valid: T[];
  /** Dead letters: the invalid items, or the whole body when it is not JSON of the right shape. */
  rejected: RejectedEvent[];
  /** null: every item is valid (204). */
  problem: BeaconProblem | null;
}

export type ItemCheck<T> = { ok: true; value: T } | { ok: false; problems: ErrorDetail[] };

/**
 * Reads one beacon body (one item, an array, or {"events": [...]}): strict UTF-8, JSON, then every
 * item through `check`. Pure and synchronous; never throws for bad input.
 */
export function readBeacon<T>(
  body: Uint8Array,
  receivedAt: number,
  what: string,
  check: (item: unknown, index: number, receivedAt: number) => ItemCheck<T>,
): BeaconRead<T> {
  let items: unknown[];
  try {
    items = eventsOf(decodeJson(body).value);
  } catch (err) {
    if (!isHarmonizerError(err)) throw err;
    const reason = err.code === 'INVALID_JSON' ? 'invalid_json' : 'invalid_shape';
    return {
      valid: [],
      rejected: [{ received_at: receivedAt, reason, detail: err.message, raw: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') }],
      problem: { code: err.code, message: err.message },
    };
  }
  const valid: T[] = [];
  const details: ErrorDetail[] = [];
  // One dead letter for the whole body: its raw text once, and the reasons of at most
  // MAX_DEAD_LETTER_ITEMS items (a 64 KB body of "[0,0,…]" holds 32 000 of them).
  const reasons: { index: number; problems: string }[] = [];
  let invalid = 0;
  let reasonChars = 0;
  for (let i = 0; i < items.length; i++) {
    const r = check(items[i], i, receivedAt);
    if (r.ok) {
      valid.push(r.value);
      continue;
    }
    invalid++;
    for (const p of r.problems) if (details.length < MAX_DETAILS) details.push(p);
    if (reasons.length < MAX_DEAD_LETTER_ITEMS && reasonChars < MAX_DEAD_LETTER_DETAIL_CHARS) {
      const problems = r.problems.map((p) => `${p.field || what}: ${p.message}`).join('; ');
      reasons.push({ index: i, problems });
      reasonChars += problems.length + 24; // and the JSON around it
    }
  }
  if (invalid === 0) return { valid, rejected: [], problem: null };
  const letter: RejectedEvent = {
    received_at: receivedAt,
    reason: `invalid_${what}`,
    items: invalid,
    detail: JSON.stringify({ invalid, of: items.length, items: reasons, ...(invalid > reasons.length ? { omitted: invalid - reasons.length } : {}) }),
    raw: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
  };
  return {
    valid,
    rejected: [letter],
    problem: {
      code: 'INVALID_EVENT',
      message: `${invalid} of ${items.length} ${what}s are invalid; the ${valid.length} valid ones were stored`,
      details,
    },
  };
}
