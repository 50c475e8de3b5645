/**
 * One simulated listening session against a real server: it asks for its arm and the bandit policy over
 * HTTP, decides at every beat with the player's own JukeboxPolicy (the module the browser runs), builds
 * the jump events and listener signals with the player's own event builders, posts them as beacons, and
 * refreshes the policy every simulated minute. Beats are stepped, not played: the session's clock is
 * simulated time. The listener (the only simulated part) reacts to each jump by its hidden taste.
 */
import type { AnalysisResult } from '../analysis/types.js';
import { validateBanditPolicy, type BanditPolicy } from '../bandit/index.js';
import { jumpEvent, listenerSignal, type LastJump, type ListenerKind, type ListenerSignal, type SessionInfo } from '../player/events.js';
import { Rotation } from '../player/choice.js';
import { JukeboxPolicy, type JumpDecision } from '../player/jukebox.js';
import { normalizeSettings, PLAYER_SCORING } from '../player/settings.js';
import type { PolicyArm } from '../shared/jump-event.js';
import { pGoodOf, pKeepOf, type Taste } from './taste.js';

export const POLICY_REFRESH_MS = 60_000;
const BEACON_EVENTS = 20;

/** What the simulation remembers of each jump decision it logged (the ground truth of the report). */
export interface SimDecision {
  readonly event_id: string;
  readonly arm: PolicyArm;
  readonly session: string;
  /** True p(good) of every candidate. */
  readonly p: number[];
  /** The probabilities the acting policy gave the candidates. */
  readonly probabilities: number[];
  readonly chosen: number;
  /** The candidate the baseline rule (nearest first, rotating per source beat) would take here. */
  readonly baselineIndex: number;
  readonly features: Record<string, unknown>[];
  /** The dwell taken after the jump (bars) and the bandit's dwell probabilities (null on the baseline). */
  readonly dwellBars: number;
  readonly dwellProbabilities: number[] | null;
  readonly policyVersion: string | null;
  /** Shadow mode: the bandit's probabilities for the jump, logged beside the baseline's choice. */
  readonly shadowProbabilities: number[] | null;
  readonly shadowDwellProbabilities: number[] | null;
}

export interface SessionDeps {
  readonly base: string;
  readonly analysis: AnalysisResult;
  readonly trackId: string;
  readonly taste: Taste;
  readonly rand: () => number;
  readonly sessionId: string;
  readonly startTs: number;
  readonly windowMs: number;
  readonly newId: () => string;
  readonly onDecision: (d: SimDecision) => void;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; etag: string | null }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, etag: res.headers.get('etag') };
}

async function postBeacon(url: string, items: readonly unknown[]): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: JSON.stringify(items) });
  if (res.status !== 204) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
}

export class SimSession {
  readonly #d: SessionDeps;
  #arm: PolicyArm = 'baseline';
  #shadow = false;
  #policy: BanditPolicy | null = null;
  #etag: string | null = null;
  #jukebox!: JukeboxPolicy;
  #info!: SessionInfo;
  #t: number;
  #beat = 0;
  #lastRefresh: number;
  #lastJump: LastJump | null = null;
  /** The baseline's rotation over this session's decisions: what the baseline arm would take at each. */
  readonly #baselineRotation = new Rotation();
  /** Listener reactions waiting for their time. */
  #actions: { at: number; kind: ListenerKind }[] = [];
  #events: unknown[] = [];
  #signals: ListenerSignal[] = [];
  decisions = 0;
  posted = 0;

  constructor(deps: SessionDeps) {
    this.#d = deps;
    this.#t = deps.startTs;
    this.#lastRefresh = deps.startTs;
  }

  get arm(): PolicyArm {
    return this.#arm;
  }

  async start(): Promise<void> {
    const p = await getJson(`${this.#d.base}/api/rl/policy?session_id=${encodeURIComponent(this.#d.sessionId)}`);
    if (p.status !== 200) throw new Error(`policy: HTTP ${p.status}`);
    const b = p.body as { arm: PolicyArm; shadow?: boolean };
    this.#arm = b.arm;
    this.#shadow = b.shadow === true;
    if (this.#arm === 'rl' || this.#shadow) await this.#refresh();
    this.#jukebox = new JukeboxPolicy(this.#d.analysis, normalizeSettings({}), { arm: this.#arm, bandit: this.#policy, shadow: this.#shadow, scoring: PLAYER_SCORING, rand: this.#d.rand });
    this.#info = { sessionId: this.#d.sessionId, trackId: this.#d.trackId, trackTitle: null, arm: this.#arm, modelVersion: null, fallback: null };
  }

  async #refresh(): Promise<void> {
    const r = await getJson(`${this.#d.base}/api/rl/policy-model`, this.#etag ? { 'If-None-Match': this.#etag } : {});
    if (r.status === 304) return;
    if (r.status !== 200) throw new Error(`policy-model: HTTP ${r.status}`);
    this.#policy = validateBanditPolicy(r.body);
    this.#etag = r.etag;
    if (this.#jukebox) this.#jukebox.bandit = this.#policy;
  }

  #signal(kind: ListenerKind, at: number): void {
    this.#signals.push(
      listenerSignal({
        signalId: this.#d.newId(),
        session: { sessionId: this.#d.sessionId, trackId: this.#info.trackId, arm: this.#arm },
        kind,
        positionS: this.#d.analysis.beats[Math.min(this.#beat, this.#d.analysis.beats.length - 1)]?.start ?? 0,
        beatIndex: this.#beat,
        clientTs: Math.round(at),
        lastJump: this.#lastJump,
      }),
    );
  }

  /** The listener's reaction to a jump heard at `t` (module comment of taste.ts: the truth). */
  #react(d: JumpDecision, p: number, beatMs: number): void {
    const r = this.#d.rand;
    const bars = d.dwell?.bars ?? 0;
    const good = r() < p;
    const keep = r() < pKeepOf(this.#d.taste, bars);
    // Reactions come within a quarter beat, before the next decision can be made: they are linked to this jump.
    const at = this.#t + 0.25 * beatMs;
    if (!good) this.#actions.push({ at, kind: 'seek' });
    else if (!keep) this.#actions.push({ at, kind: bars > this.#d.taste.dwell_bars ? 'force_jump' : 'seek' });
  }

  /** Steps beats until `n` more jump decisions were logged, then posts what is queued. */
  async run(n: number): Promise<void> {
    const a = this.#d.analysis;
    const beats = a.beats;
    const goal = this.decisions + n;
    while (this.decisions < goal) {
      if (this.#t - this.#lastRefresh >= POLICY_REFRESH_MS) {
        this.#lastRefresh = this.#t;
        if (this.#policy) await this.#refresh();
      }
      let forced = false;
      while (this.#actions.length > 0 && this.#actions[0].at <= this.#t) {
        const act = this.#actions.shift()!;
        this.#signal(act.kind, act.at);
        if (act.kind === 'seek') this.#beat = Math.floor(this.#d.rand() * beats.length);
        else forced = true;
      }
      if (this.#beat >= beats.length) this.#beat = 0;
      const d = this.#jukebox.decide(this.#beat, forced);
      let played = this.#beat;
      if (d) {
        this.#jukebox.jumped(d);
        played = d.target;
        const id = this.#d.newId();
        const ev = jumpEvent(d, beats, this.#info, this.#jukebox.settings, id, Math.round(this.#t));
        this.#events.push(ev);
        this.#lastJump = { eventId: id, heardAt: Math.round(this.#t) };
        const p = d.choice.candidates.map((c) => pGoodOf(this.#d.taste, c.features));
        this.#d.onDecision({
          event_id: id,
          arm: this.#arm,
          session: this.#d.sessionId,
          p,
          probabilities: d.choice.candidates.map((c) => c.probability),
          chosen: d.choice.index,
          baselineIndex: this.#arm === 'baseline' ? d.choice.index : this.#baselineRotation.take(d.source, d.choice.candidates.length),
          features: d.choice.candidates.map((c) => c.features as Record<string, unknown>),
          dwellBars: d.dwell?.bars ?? 0,
          dwellProbabilities: d.dwell?.probabilities ?? null,
          policyVersion: d.policyVersion ?? null,
          shadowProbabilities: d.shadow?.jump.probabilities ?? null,
          shadowDwellProbabilities: d.shadow?.dwell?.probabilities ?? null,
        });
        this.decisions++;
        this.#react(d, p[d.choice.index], beats[played].duration * 1000);
      }
      this.#t += beats[played].duration * 1000;
      this.#beat = played + 1;
      if (this.#events.length >= BEACON_EVENTS) await this.flush();
    }
    await this.flush();
  }

  /**
   * Posts the queued signals, then the jump events (the player's two beacon channels). Signals first: a
   * reaction to a jump then always reaches the server before the decision that followed it, so the
   * simulation can run with a settle time of 1 s whatever the load on the machine.
   */
  async flush(): Promise<void> {
    while (this.#signals.length > 0) await postBeacon(`${this.#d.base}/api/rl/listener-event`, this.#signals.splice(0, 50));
    while (this.#events.length > 0) {
      const batch = this.#events.splice(0, BEACON_EVENTS);
      await postBeacon(`${this.#d.base}/api/rl/jump-event`, batch);
      this.posted += batch.length;
    }
  }

  /** The listener leaves after the reward window of the last jump has passed (no reaction: not linked). */
  async leave(): Promise<void> {
    // Reactions still waiting happened before the listener left.
    for (const act of this.#actions.splice(0)) this.#signal(act.kind, act.at);
    this.#lastJump = null;
    this.#signal('leave', this.#t + this.#d.windowMs + 2000);
    await this.flush();
  }
}

