/**
 * A logged jump event read back as bandit decisions: the jump (its candidates' features, the logged
 * probability of each, the one taken) and the dwell chosen after it, when the event carries one
 * (`context.dwell`). One parser for the learner, the evaluation and the simulation's report.
 */
import { DWELL_BARS, dwellActionFeatures, jumpFeatures, type DecisionKind } from '../bandit/index.js';
import type { JumpFeatureInput } from '../policy/features.js';

export interface ParsedDecision {
  readonly kind: DecisionKind;
  /** Feature rows of every action. */
  readonly actions: number[][];
  /** The logging policy's probability of every action (sums to 1; a deterministic rule logs 1 and 0s). */
  readonly logged: number[];
  /** Index of the action taken. */
  readonly action: number;
  /** The raw candidate features (jump) — the simulation's ground truth reads them. */
  readonly raw?: JumpFeatureInput[];
}

export type { DwellLog } from '../bandit/index.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function sumsToOne(p: readonly number[]): boolean {
  let s = 0;
  for (const q of p) {
    if (!(typeof q === 'number' && q >= 0 && q <= 1)) return false;
    s += q;
  }
  return Math.abs(s - 1) < 1e-6;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The jump decision of an event, or null when its candidates cannot be read (no candidates, no probabilities). */
export function parseJump(candidatesJson: string | null, targetIndex: number): ParsedDecision | null {
  const cands = parseJson(candidatesJson);
  if (!Array.isArray(cands) || cands.length === 0 || !cands.every(isObj)) return null;
  let action = cands.findIndex((c) => c.chosen === true);
  if (action < 0) action = cands.findIndex((c) => c.target_index === targetIndex);
  if (action < 0) return null;
  const logged = cands.map((c) => (typeof c.probability === 'number' ? c.probability : NaN));
  if (!sumsToOne(logged) || !(logged[action] > 0)) return null;
  const raw = cands.map((c) => (isObj(c.features) ? (c.features as JumpFeatureInput) : {}));
  return { kind: 'jump', actions: raw.map((f) => jumpFeatures(f)), logged, action, raw };
}

/** The dwell decision logged with an event (context.dwell), or null. */
export function parseDwell(context: unknown): ParsedDecision | null {
  if (!isObj(context) || !isObj(context.dwell)) return null;
  const d = context.dwell;
  const p = d.probabilities;
  if (!Number.isInteger(d.index) || (d.index as number) < 0 || (d.index as number) >= DWELL_BARS.length) return null;
  if (!Array.isArray(p) || p.length !== DWELL_BARS.length || !sumsToOne(p as number[])) return null;
  const action = d.index as number;
  if (!((p as number[])[action] > 0)) return null;
  return { kind: 'dwell', actions: dwellActionFeatures(), logged: p as number[], action };
}

/** Both decisions of an event row. */
export function parseDecisions(row: { candidates: string | null; context: string | null; target_index: number }): { jump: ParsedDecision | null; dwell: ParsedDecision | null } {
  return { jump: parseJump(row.candidates, row.target_index), dwell: parseDwell(parseJson(row.context)) };
}

/** decision_id of an event's decision of `kind`. */
export function decisionId(eventId: string, kind: DecisionKind): string {
  return kind === 'jump' ? eventId : `${eventId}#dwell`;
}
