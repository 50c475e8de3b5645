/**
 * The reward join: applies the rule of rewards.ts to the store. Idempotent and re-runnable: a pass
 * (1) registers the decisions of new jump events as pending, (2) resolves pending implicit rewards
 * from the listener signals and the session's time line, (3) puts label rewards in place of implicit
 * ones (and hands a decision back to the implicit rule when its labels were taken back). Only a change
 * of a reward's value or weight reaches the reward log, so running it again changes nothing.
 * One pass is one IMMEDIATE transaction with no await inside.
 */
import type { RewardRow, Store } from '../store/index.js';
import { decisionId, parseDecisions } from './decisions.js';
import { dwellOutcome, jumpOutcome, labelOutcome, type Outcome, type RewardRules } from './rewards.js';

export interface JoinResult {
  /** Decisions registered (jump and dwell). */
  registered: number;
  /** Pending decisions resolved (implicit reward or none). */
  resolved: number;
  /** Label rewards set, changed or taken back. */
  labels: number;
  /** Entries appended to the reward log. */
  logged: number;
  /** True when a limit cut the pass short (call again). */
  more: boolean;
}

export const JOIN_BATCH = 5000;

function row(base: Pick<RewardRow, 'decision_id' | 'event_id' | 'kind'>, o: Outcome, now: number): RewardRow {
  return { ...base, reward: o.reward, source: o.source, weight: o.weight, detail: o.detail, updated_at: now };
}

export interface JoinOptions {
  batch?: number;
  /**
   * The labels' fingerprint after the previous pass (updated here): when the labels have not changed
   * since, the label step is skipped. Without it every pass reconciles every label.
   */
  labels?: { fingerprint: string | null };
}

/**
 * One pass of the join at server time `now`. The labels are read before the write transaction, so the
 * scan over them never holds the write lock; a label that changes meanwhile is taken up by the next pass.
 */
export function joinRewards(store: Store, rules: RewardRules, now: number, opts: JoinOptions = {}): JoinResult {
  const b = store.bandit;
  const batch = opts.batch ?? JOIN_BATCH;
  const fp = opts.labels ? b.labelsFingerprint() : null;
  const labelStep = !opts.labels || fp !== opts.labels.fingerprint;
  // Label rows first, then labels: a label taken back in between shows as taken back, one added shows as added.
  const labelRows = labelStep ? b.labelRewards() : [];
  const labels = labelStep ? b.labelsByEvent() : [];
  const result = store.immediate(() => {
    const r: JoinResult = { registered: 0, resolved: 0, labels: 0, logged: 0, more: false };
    const set = (x: RewardRow) => {
      const old = b.getReward(x.decision_id);
      if (old && old.reward === x.reward && old.source === x.source && old.weight === x.weight && old.detail === x.detail) return;
      if (b.setReward(x)) r.logged++;
    };

    // 1. New events become pending decisions.
    const fresh = b.decisionsAfter(b.joinCursor(), batch);
    for (const e of fresh) {
      const d = parseDecisions(e);
      for (const p of [d.jump, d.dwell]) {
        if (!p) continue;
        const id = decisionId(e.event_id, p.kind);
        if (b.getReward(id)) continue;
        set({ decision_id: id, event_id: e.event_id, kind: p.kind, reward: null, source: 'pending', weight: rules.implicitWeight, detail: null, updated_at: now });
        r.registered++;
      }
    }
    if (fresh.length > 0) b.setJoinCursor(fresh[fresh.length - 1]!.id);
    r.more = fresh.length === batch;

    // 2. Pending decisions: the implicit rule.
    const pend = b.pending(batch);
    const resolvedBefore = r.resolved;
    for (const p of pend) {
      const horizon = b.sessionHorizon(p.session_id);
      const facts = { clientTs: p.client_ts, receivedAt: p.received_at, linked: b.signalsAfter(p.event_id), reachedNext: p.client_ts !== null && b.hasLaterDecision(p.session_id, p.client_ts), horizon, now };
      const o = p.kind === 'jump' ? jumpOutcome(facts, rules) : dwellOutcome(facts, rules);
      if (o.source === 'pending') continue;
      set(row(p, o, now));
      r.resolved++;
    }
    // A full batch of which some resolved: more may be waiting behind it. A full batch that is all still
    // waiting (the settle time) is not "more": calling again at once would only spin.
    r.more ||= pend.length === batch && r.resolved > resolvedBefore;

    // 3. Labels replace the implicit reward of a jump; a label taken back returns it to the rule.
    if (!labelStep) return r;
    const labeled = new Set<string>();
    for (const l of labels) {
      labeled.add(l.event_id);
      const cur = b.getReward(l.event_id);
      if (!cur || cur.kind !== 'jump') continue; // not joined yet, or not a bandit decision
      const o = labelOutcome(l.labels.split(','), rules);
      if (cur.source === 'label' && cur.reward === o.reward && cur.weight === o.weight) continue;
      set(row(cur, o, now));
      r.labels++;
    }
    for (const old of labelRows) {
      if (labeled.has(old.event_id)) continue;
      const cur = b.getReward(old.decision_id);
      if (!cur || cur.source !== 'label') continue;
      set({ ...cur, reward: null, source: 'pending', weight: rules.implicitWeight, detail: 'label taken back', updated_at: now });
      r.labels++;
    }
    return r;
  });
  // A pass cut short by the batch may have left labels of decisions not joined yet: look again next time.
  if (opts.labels && !result.more) opts.labels.fingerprint = fp;
  return result;
}
