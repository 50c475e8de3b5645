/**
 * One learner pass, the same code in the server's learner thread and in `harmonizer bandit replay`:
 * the reward join, then the new reward-log entries into the learner in seq order, publishing a
 * candidate policy every `publishEvery` entries, each through the promotion gate; a promoted policy
 * is written atomically to policy.json and becomes the active row of bandit_policies.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { validateBanditPolicy, type BanditPolicy, type DecisionKind } from '../bandit/index.js';
import type { StoreApi } from '../store/index.js';
import { parseDecisions } from './decisions.js';
import { banditTarget, FoldStats, promotionGate, type EvalDecision } from './evaluate.js';
import { joinRewards } from './join.js';
import { BanditLearner } from './learner.js';
import type { LearnerInit, LearnerStatus } from './messages.js';

/** Decisions the gate evaluates on (the newest). */
export const GATE_WINDOW = 20_000;
const LOG_BATCH = 5000;

/** Writes the policy to `path` atomically (temp file in the same folder, fsync, rename). */
export function writePolicyFile(path: string, policy: BanditPolicy): void {
  validateBanditPolicy(JSON.parse(JSON.stringify(policy)));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(policy) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export interface LoopOptions extends Omit<LearnerInit, 'store' | 'tickMs' | 'electionMs'> {
  now?: () => number;
  /** Run the gate on each published policy (replay without a gate only rebuilds versions). Default true. */
  gate?: boolean;
  onPublish?: (policy: BanditPolicy, verdict: string, promoted: boolean) => void;
}

export class LearnerLoop {
  readonly learner: BanditLearner;
  readonly #store: StoreApi;
  readonly #o: LoopOptions;
  readonly #now: () => number;
  #published = 0;
  #lastVerdict: string | null = null;
  #pending = 0;
  #lastPassMs = 0;
  /**
   * The gate's evaluation set: the newest GATE_WINDOW decisions with a reward, kept from the reward log
   * as it is applied (a Map keeps insertion order: a changed reward moves its decision to the end). It
   * depends on the log alone, so a replay's gate sees what the live gate saw.
   */
  readonly #evalSet = new Map<string, EvalDecision>();
  /** Cross-fitting statistics of every reward applied (the DR reward model of the gate). */
  readonly #folds = new FoldStats();
  readonly #labels = { fingerprint: null as string | null };

  constructor(store: StoreApi, opts: LoopOptions) {
    this.#store = store;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.learner = new BanditLearner({ exploration: opts.exploration, gammaScale: opts.gammaScale, publishEvery: opts.publishEvery });
  }

  /** Applies every reward-log entry without publishing (start-up: the versions of these entries exist). */
  catchUp(): Promise<number> {
    return this.#consume(false);
  }

  /** One pass: join, learn, publish. Returns true when work is still waiting (call again soon). */
  async pass(): Promise<boolean> {
    const t0 = performance.now();
    let more = false;
    const j = await joinRewards(this.#store, this.#o.rules, this.#now(), { labels: this.#labels });
    more = j.more;
    await this.#consume(true);
    this.#pending = await this.#store.bandit.pendingCount();
    this.#lastPassMs = performance.now() - t0;
    return more;
  }

  async #consume(publish: boolean): Promise<number> {
    let n = 0;
    for (;;) {
      const entries = await this.#store.bandit.logAfter(this.learner.lastSeq, LOG_BATCH);
      for (const e of entries) {
        const d = parseDecisions(e);
        const p = e.kind === 'jump' ? d.jump : d.dwell;
        // A decision that was registered has parseable features; anything else is skipped, but its seq still counts.
        const x = p ? p.actions[p.action] : null;
        this.#evalSet.delete(e.decision_id);
        if (x && e.prev_reward !== null) this.#folds.remove(e.kind as DecisionKind, e.decision_id, x, e.prev_reward);
        if (x && e.reward !== null) this.#folds.add(e.kind as DecisionKind, e.decision_id, x, e.reward);
        if (p && e.reward !== null) {
          this.#evalSet.set(e.decision_id, { decision_id: e.decision_id, event_id: e.event_id, reward: e.reward, source: e.source, arm: null, parsed: p });
          if (this.#evalSet.size > GATE_WINDOW) this.#evalSet.delete(this.#evalSet.keys().next().value!);
        }
        if (x) this.learner.apply({ seq: e.seq, kind: e.kind as DecisionKind, x, reward: e.reward, weight: e.weight, prev_reward: e.prev_reward, prev_weight: e.prev_weight });
        else this.learner.lastSeq = e.seq;
        n++;
        if (publish && this.learner.applied > 0 && this.learner.applied % this.#o.publishEvery === 0) await this.#publish();
      }
      if (entries.length < LOG_BATCH) return n;
    }
  }

  /** Publishes the learner's current state as a candidate, through the gate unless `gate: false`. */
  publishNow(): Promise<BanditPolicy> {
    return this.#publish();
  }

  async #publish(): Promise<BanditPolicy> {
    const policy = this.learner.snapshot(new Date(this.#now()).toISOString());
    await this.#store.bandit.insertPolicy({
      version: policy.version, created_at: policy.created_at, status: 'candidate', first_seq: policy.data.first_seq, last_seq: policy.data.last_seq,
      rewards: policy.data.rewards, reason: 'published', evaluation: null, policy_json: JSON.stringify(policy),
    });
    this.#published++;
    if (this.#o.gate === false) this.#o.onPublish?.(policy, 'published (no gate)', false);
    else await this.gate(policy);
    return policy;
  }

  /**
   * The promotion gate on a published version (loop comment); a promoted policy is written to
   * policy.json and becomes the active row. Returns whether it was promoted.
   */
  async gate(policy: BanditPolicy): Promise<boolean> {
    const b = this.#store.bandit;
    const log = [...this.#evalSet.values()];
    let verdict: ReturnType<typeof promotionGate>;
    try {
      // An active policy this build cannot read (other features) is compared as if none were active.
      const activeRow = await b.activePolicy();
      let active: ReturnType<typeof banditTarget> | null = null;
      try {
        active = activeRow ? banditTarget('active', validateBanditPolicy(JSON.parse(activeRow.policy_json))) : null;
      } catch {
        active = null;
      }
      verdict = promotionGate(log, banditTarget('candidate', policy), active, { foldWeights: this.#folds.weights(), minDecisions: this.#o.minDecisions });
    } catch (err) {
      verdict = { promote: false, reason: `not promoted: ${(err as Error).message}`, candidate: null, reference: null };
    }
    const evaluation = JSON.stringify({ candidate: verdict.candidate, reference: verdict.reference, decisions: log.length });
    if (verdict.promote) {
      writePolicyFile(this.#o.policyPath, policy);
      await b.activate(policy.version, verdict.reason);
      await b.setPolicyVerdict(policy.version, verdict.reason, evaluation);
    } else await b.setPolicyVerdict(policy.version, verdict.reason, evaluation);
    this.#lastVerdict = `${policy.version}: ${verdict.reason}`;
    this.#o.onPublish?.(policy, verdict.reason, verdict.promote);
    return verdict.promote;
  }

  async status(): Promise<LearnerStatus> {
    const b = this.#store.bandit;
    const c = this.learner.counts();
    return {
      active: (await b.activePolicy())?.version ?? null,
      candidate: (await b.latestCandidate())?.version ?? null,
      last_verdict: this.#lastVerdict,
      applied: this.learner.applied,
      last_seq: this.learner.lastSeq,
      published: this.#published,
      rewards: { jump: c.jump, dwell: c.dwell },
      role: 'leader',
      pending: this.#pending,
      last_pass_ms: Math.round(this.#lastPassMs * 10) / 10,
      updated_at: this.#now(),
    };
  }
}
