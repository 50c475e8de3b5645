/**
 * The reward join: applies the rule of rewards.ts to the store. Idempotent and re-runnable: a pass
 * (1) registers the decisions of new jump events as pending, (2) resolves pending implicit rewards
 * from the listener signals and the session's time line, (3) puts label rewards in place of implicit
 * ones (and hands a decision back to the implicit rule when its labels were taken back). Only a change
 * of a reward's value or weight reaches the reward log, so running it again changes nothing.
 *
 * The store is asynchronous (PostgreSQL), and no await may happen inside a SQLite transaction, so a pass
 * is three phases: read what it needs (outside any transaction), compute every change in memory
 * (planJoin, pure), and write them with one store call (bandit.applyJoin, one transaction). Each change
 * carries the row state it was computed from; the store writes it only when the row is still in that
 * state, so a row that changed in between (another pass, a replay) is left to the next pass, never
 * overwritten with a stale decision.
 */
import type { BanditKind, DecisionRow, JoinChanges, RewardChange, RewardRow, SignalFact, StoreApi } from '../store/index.js';
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
  /** True when a limit cut the pass short, or a row changed under it (call again). */
  more: boolean;
}

export const JOIN_BATCH = 5000;

function row(base: Pick<RewardRow, 'decision_id' | 'event_id' | 'kind'>, o: Outcome, now: number): RewardRow {
  return { decision_id: base.decision_id, event_id: base.event_id, kind: base.kind, reward: o.reward, source: o.source, weight: o.weight, detail: o.detail, updated_at: now };
}

export interface JoinOptions {
  batch?: number;
  /**
   * The labels' fingerprint after the previous pass (updated here): when the labels have not changed
   * since, the label step is skipped. Without it every pass reconciles every label.
   */
  labels?: { fingerprint: string | null };
}

/** What the implicit rule needs of a pending decision, read from the store. */
export interface PendingFacts {
  linked: SignalFact[];
  reachedNext: boolean;
  horizon: number | null;
}

/** Everything one pass reads (phase 1), so that planning it is pure. */
export interface JoinInput {
  /** Jump events after the join cursor, in id order (at most `batch`). */
  fresh: DecisionRow[];
  /** Pending decisions already stored, oldest first (at most `batch`). */
  pending: (RewardRow & DecisionRow)[];
  /** Stored rewards of the fresh events' decisions and of every labeled or label-rewarded decision. */
  rewards: Map<string, RewardRow>;
  /** Implicit-rule facts per pending decision id (stored and fresh ones). */
  facts: Map<string, PendingFacts>;
  /** null: the label step is skipped (the labels did not change). */
  labels: { event_id: string; labels: string }[] | null;
  labelRows: RewardRow[];
}

export interface JoinPlan {
  changes: JoinChanges;
  registered: number;
  resolved: number;
  labels: number;
  more: boolean;
}

/**
 * Phase 2: the pass's changes, in the order the rule applies them (register, resolve, labels), each
 * against the state the previous step left, as if the steps ran one after the other on the store.
 */
export function planJoin(input: JoinInput, rules: RewardRules, now: number, batch: number): JoinPlan {
  const state = new Map(input.rewards);
  const changes: RewardChange[] = [];
  const plan = { registered: 0, resolved: 0, labels: 0, more: false };
  const set = (x: RewardRow) => {
    const old = state.get(x.decision_id) ?? null;
    if (old && old.reward === x.reward && old.source === x.source && old.weight === x.weight && old.detail === x.detail) return;
    changes.push({ expect: old && { reward: old.reward, source: old.source, weight: old.weight, detail: old.detail }, row: x });
    state.set(x.decision_id, x);
  };

  // 1. New events become pending decisions.
  const registered: (RewardRow & DecisionRow)[] = [];
  for (const e of input.fresh) {
    const d = parseDecisions(e);
    for (const p of [d.jump, d.dwell]) {
      if (!p) continue;
      const id = decisionId(e.event_id, p.kind);
      if (state.has(id)) continue;
      const r: RewardRow = { decision_id: id, event_id: e.event_id, kind: p.kind, reward: null, source: 'pending', weight: rules.implicitWeight, detail: null, updated_at: now };
      set(r);
      registered.push({ ...e, ...r });
      plan.registered++;
    }
  }
  plan.more = input.fresh.length === batch;

  // 2. Pending decisions: the implicit rule. The stored ones come first (their events are older than
  // the cursor), then the ones just registered, as the store's pending() would list them.
  const pend = [...input.pending, ...registered].slice(0, batch);
  for (const p of pend) {
    const f = input.facts.get(p.decision_id);
    if (!f) continue;
    const facts = { clientTs: p.client_ts, receivedAt: p.received_at, linked: f.linked, reachedNext: f.reachedNext, horizon: f.horizon, now };
    const o = p.kind === 'jump' ? jumpOutcome(facts, rules) : dwellOutcome(facts, rules);
    if (o.source === 'pending') continue;
    set(row(p, o, now));
    plan.resolved++;
  }
  // A full batch of which some resolved: more may be waiting behind it. A full batch that is all still
  // waiting (the settle time) is not "more": calling again at once would only spin.
  plan.more ||= pend.length === batch && plan.resolved > 0;

  // 3. Labels replace the implicit reward of a jump; a label taken back returns it to the rule.
  if (input.labels) {
    const labeled = new Set<string>();
    for (const l of input.labels) {
      labeled.add(l.event_id);
      const cur = state.get(l.event_id);
      if (!cur || cur.kind !== 'jump') continue; // not joined yet, or not a bandit decision
      const o = labelOutcome(l.labels.split(','), rules);
      if (cur.source === 'label' && cur.reward === o.reward && cur.weight === o.weight) continue;
      set(row(cur, o, now));
      plan.labels++;
    }
    for (const old of input.labelRows) {
      if (labeled.has(old.event_id)) continue;
      const cur = state.get(old.decision_id);
      if (!cur || cur.source !== 'label') continue;
      set({ ...cur, reward: null, source: 'pending', weight: rules.implicitWeight, detail: 'label taken back', updated_at: now });
      plan.labels++;
    }
  }
  const last = input.fresh[input.fresh.length - 1];
  return { changes: { cursor: last ? last.id : null, changes }, ...plan };
}

/** Phase 1: the reads of one pass. */
async function readJoin(store: StoreApi, batch: number, labelStep: boolean): Promise<JoinInput> {
  const b = store.bandit;
  // Label rows first, then labels: a label taken back in between shows as taken back, one added shows as added.
  const labelRows = labelStep ? await b.labelRewards() : [];
  const labels = labelStep ? await b.labelsByEvent() : null;
  const fresh = await b.decisionsAfter(await b.joinCursor(), batch);
  const pending = await b.pending(batch);
  const ids = new Set<string>();
  for (const e of fresh) for (const k of ['jump', 'dwell'] as BanditKind[]) ids.add(decisionId(e.event_id, k));
  for (const l of labels ?? []) ids.add(l.event_id);
  for (const r of labelRows) ids.add(r.decision_id);
  const rewards = new Map<string, RewardRow>();
  for (const r of await b.rewardsByIds([...ids])) rewards.set(r.decision_id, r);
  for (const p of pending) rewards.set(p.decision_id, { decision_id: p.decision_id, event_id: p.event_id, kind: p.kind, reward: p.reward, source: p.source, weight: p.weight, detail: p.detail, updated_at: p.updated_at });
  // Facts of every decision that may be pending in step 2: the stored pending ones and the fresh ones
  // (when the batch leaves room for them), read for all their events at once.
  const candidates: { id: string; event_id: string }[] = pending.map((p) => ({ id: p.decision_id, event_id: p.event_id }));
  if (pending.length < batch) {
    for (const e of fresh) {
      const d = parseDecisions(e);
      if (d.jump) candidates.push({ id: decisionId(e.event_id, 'jump'), event_id: e.event_id });
      if (d.dwell) candidates.push({ id: decisionId(e.event_id, 'dwell'), event_id: e.event_id });
    }
  }
  const byEvent = new Map<string, PendingFacts>();
  for (const f of await b.joinFacts([...new Set(candidates.map((c) => c.event_id))])) byEvent.set(f.event_id, { linked: f.linked, reachedNext: f.reached_next, horizon: f.horizon });
  const facts = new Map<string, PendingFacts>();
  for (const c of candidates) {
    const f = byEvent.get(c.event_id);
    if (f) facts.set(c.id, f);
  }
  return { fresh, pending, rewards, facts, labels, labelRows };
}

/**
 * One pass of the join at server time `now`: read, plan, apply (module comment). The labels are read
 * before the decisions; a label that changes meanwhile is taken up by the next pass.
 */
export async function joinRewards(store: StoreApi, rules: RewardRules, now: number, opts: JoinOptions = {}): Promise<JoinResult> {
  const batch = opts.batch ?? JOIN_BATCH;
  const fp = opts.labels ? await store.bandit.labelsFingerprint() : null;
  const labelStep = !opts.labels || fp !== opts.labels.fingerprint;
  const plan = planJoin(await readJoin(store, batch, labelStep), rules, now, batch);
  const applied = plan.changes.changes.length > 0 || plan.changes.cursor !== null ? await store.bandit.applyJoin(plan.changes) : { applied: 0, logged: 0, conflicts: 0 };
  const more = plan.more || applied.conflicts > 0;
  // A pass cut short by the batch (or by a conflict) may have left labels undone: look again next time.
  if (opts.labels && !more) opts.labels.fingerprint = fp;
  return { registered: plan.registered, resolved: plan.resolved, labels: plan.labels, logged: applied.logged, more };
}
