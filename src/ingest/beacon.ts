import { isHarmonizerError, type ErrorCode, type ErrorDetail } from '../shared/errors.js';
import type { RejectedEvent } from '../shared/jump-event.js';
import { decodeJson, eventsOf } from './body.js';

/** Problems listed in a 400 body at most (the dead-letter table keeps every rejected item). */
export const MAX_DETAILS = 100;

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
  const rejected: RejectedEvent[] = [];
  const details: ErrorDetail[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = check(items[i], i, receivedAt);
    if (r.ok) {
      valid.push(r.value);
      continue;
    }
    for (const p of r.problems) if (details.length < MAX_DETAILS) details.push(p);
    rejected.push({
      received_at: receivedAt,
      reason: `invalid_${what}`,
      detail: r.problems.map((p) => `${p.field || what}: ${p.message}`).join('; '),
      raw: safeStringify(items[i]),
    });
  }
  const problem: BeaconProblem | null =
    rejected.length === 0
      ? null
      : {
          code: 'INVALID_EVENT',
          message: `${rejected.length} of ${items.length} ${what}s are invalid; the ${valid.length} valid ones were stored`,
          details,
        };
  return { valid, rejected, problem };
}

function safeStringify(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null; // too deep to serialize: the reason column still says why it was refused
  }
}

