/**
 * The reward rule, stated once (the join in join.ts applies it; README "Rewards" repeats it):
 *
 * Jump decision (heard at client time t0, reward window W = RL_REWARD_WINDOW_S):
 *  1. A label exists: reward = mean over labelers of good 1, meh 0.5, bad 0 (source `label`, weight
 *     RL_REWARD_LABEL_WEIGHT). A label that arrives later replaces the implicit reward; a label taken
 *     back (undo) hands the decision back to the implicit rule.
 *  2. Otherwise the listener signals linked to the jump (after_jump_event_id: the last jump heard before
 *     the signal) decide, source `implicit`, weight RL_REWARD_IMPLICIT_WEIGHT:
 *     - skip, seek, force_jump or leave within W after the jump → 0;
 *     - else a pause within W → no reward (the listener stopped listening; nothing to learn);
 *     - else the session reached its next decision, or reported a later client time ≥ t0 + W (the
 *       window passed while playing) → 1, once the jump event has been on the server for the settle
 *       time (RL_REWARD_SETTLE_S): jump events and signals travel in separate beacons, so a negative
 *       signal may arrive after the next decision; a 0 needs no wait;
 *     - else still pending; after W + the grace period (beacons leave every few seconds) with no later
 *       sign of the session, no reward (`none`).
 * Dwell decision (made when the jump was placed): whether the listener kept listening through it, read
 * from the same linked signals and the same window (the dwell holds random jumps back, so the signals
 * linked to the jump are the ones heard during the dwell): a skip, seek, force_jump or leave within W →
 * 0; a pause → no reward; the next decision reached or the window passed → 1; else pending, then `none`.
 * Labels judge the jump's sound, not the dwell, so a dwell's reward is always implicit.
 * A decision without a client time cannot be placed in the session's time line: no implicit reward.
 * Pure: every fact is an argument.
 */

export const NEGATIVE_SIGNALS: readonly string[] = Object.freeze(['skip', 'seek', 'force_jump', 'leave']);
export const LABEL_REWARD: Readonly<Record<string, number>> = Object.freeze({ good: 1, meh: 0.5, bad: 0 });
/** How long past the window a decision may wait for the session's next sign before it gets no reward. */
export const DEFAULT_GRACE_MS = 60_000;

export type OutcomeSource = 'pending' | 'implicit' | 'label' | 'none';

export interface RewardRules {
  readonly windowMs: number;
  /** A positive implicit reward waits this long after the jump event arrived (signals may be on the way). */
  readonly settleMs: number;
  readonly graceMs: number;
  readonly labelWeight: number;
  readonly implicitWeight: number;
}

export interface Outcome {
  readonly reward: number | null;
  readonly source: OutcomeSource;
  readonly weight: number;
  readonly detail: string;
}

export interface Signal {
  readonly kind: string;
  readonly client_ts: number | null;
  readonly ms_since_jump: number | null;
}

export function rulesFromConfig(c: { rewardWindowS: number; rewardSettleS: number; rewardLabelWeight: number; rewardImplicitWeight: number }, graceMs = DEFAULT_GRACE_MS): RewardRules {
  return { windowMs: c.rewardWindowS * 1000, settleMs: c.rewardSettleS * 1000, graceMs, labelWeight: c.rewardLabelWeight, implicitWeight: c.rewardImplicitWeight };
}

/** Mean label reward (good 1, meh 0.5, bad 0). Precondition: at least one known label. Cost O(n). */
export function labelReward(labels: readonly string[]): number {
  const known = labels.filter((l) => l in LABEL_REWARD);
  if (known.length === 0) throw new RangeError('labelReward needs at least one of good | meh | bad');
  return known.reduce((s, l) => s + LABEL_REWARD[l], 0) / known.length;
}

export function labelOutcome(labels: readonly string[], rules: RewardRules): Outcome {
  return { reward: labelReward(labels), source: 'label', weight: rules.labelWeight, detail: `${labels.length} label${labels.length === 1 ? '' : 's'}` };
}

const pending = (rules: RewardRules): Outcome => ({ reward: null, source: 'pending', weight: rules.implicitWeight, detail: 'waiting for the window' });
const none = (rules: RewardRules, detail: string): Outcome => ({ reward: null, source: 'none', weight: rules.implicitWeight, detail });
const implicit = (rules: RewardRules, reward: number, detail: string): Outcome => ({ reward, source: 'implicit', weight: rules.implicitWeight, detail });

export interface JumpFacts {
  /** Client time the jump was heard (ms), or null. */
  readonly clientTs: number | null;
  /** Server time the jump event arrived (ms). */
  readonly receivedAt: number;
  /** Signals linked to this jump (after_jump_event_id). */
  readonly linked: readonly Signal[];
  /** The session logged a decision after this one. */
  readonly reachedNext: boolean;
  /** The latest client time the session reported, or null. */
  readonly horizon: number | null;
  /** Server clock now (ms). */
  readonly now: number;
}

/** The implicit reward of a jump decision (module comment, rule 2). Cost O(signals). */
export function jumpOutcome(f: JumpFacts, rules: RewardRules): Outcome {
  const t0 = f.clientTs;
  if (t0 === null) return none(rules, 'no client time');
  const inWindow = (s: Signal) => (s.ms_since_jump ?? (s.client_ts === null ? 0 : s.client_ts - t0)) <= rules.windowMs;
  const neg = f.linked.find((s) => NEGATIVE_SIGNALS.includes(s.kind) && inWindow(s));
  if (neg) return implicit(rules, 0, neg.kind);
  if (f.linked.some((s) => s.kind === 'pause' && inWindow(s))) return none(rules, 'paused');
  const passed = f.reachedNext || (f.horizon !== null && f.horizon >= t0 + rules.windowMs);
  // Known to be positive: it only waits for the settle time (however long), never for the grace period.
  if (passed) return f.now >= f.receivedAt + rules.settleMs ? implicit(rules, 1, f.reachedNext ? 'next decision reached' : 'window passed') : pending(rules);
  if (f.now >= f.receivedAt + rules.windowMs + rules.graceMs) return none(rules, 'no sign of the session after the window');
  return pending(rules);
}

/** The reward of a dwell decision: the implicit rule of its jump (module comment), never a label. */
export function dwellOutcome(f: JumpFacts, rules: RewardRules): Outcome {
  const o = jumpOutcome(f, rules);
  return o.source === 'implicit' && o.reward === 1 ? { ...o, detail: `kept listening: ${o.detail}` } : o;
}
