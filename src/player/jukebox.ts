/**
 * The per-beat jump decision of one listening session: branch timing (BranchRamp), the candidates the
 * settings allow (eligible.ts), the arm's choice (choice.ts) and, on the bandit arm, the dwell after each
 * jump. `decide` is called once for each beat just before it is scheduled; `jumped` once a jump is
 * actually placed. Everything random comes from the injected `rand`. Pure, browser-safe.
 *
 * Dwell (src/bandit/actions.ts): when a jump is placed the bandit picks how many bars (DWELL_BARS, × the
 * analysed meter) the player stays before it may branch at random again; the last branch beat and a
 * listener's forced jump still jump. Shadow mode: the baseline acts, and the bandit's jump and dwell
 * choices, with every probability, are computed beside it and logged (`shadow`), never acted on.
 */
import type { AnalysisResult } from '../analysis/types.js';
import { decide, dwellActionFeatures, DWELL_BARS, type BanditDecision, type BanditPolicy, type DwellLog } from '../bandit/index.js';
import type { ModelJson } from '../policy/model.js';
import type { ScoringOptions } from '../policy/scoring.js';
import type { PolicyArm } from '../shared/jump-event.js';
import { BranchRamp } from './branching.js';
import { banditJump, chooseFor, Rotation, type Choice } from './choice.js';
import { eligibleCandidates, mustJumpCandidates, type SourcedCandidate, type Trigger } from './eligible.js';
import type { PlayerSettings } from './settings.js';

/** The dwell decision as logged with the jump event (`context.dwell`). */
export type DwellChoice = DwellLog;

/** What the bandit would have done (shadow mode), logged as `context.shadow`. */
export interface ShadowLog {
  policy_version: string;
  jump: { index: number; probabilities: number[]; scores: number[]; propensity: number };
  dwell?: DwellChoice;
}

export interface JumpDecision {
  source: number;
  target: number;
  trigger: Trigger;
  /** The ramp's chance at this beat (null for a jump that did not draw: last branch beat, forced). */
  branchChance: number | null;
  chosen: SourcedCandidate;
  choice: Choice;
  /** The bandit policy version that chose the jump (rl arm). */
  policyVersion?: string;
  /** The dwell chosen when the jump was placed (bandit arm). */
  dwell?: DwellChoice;
  shadow?: ShadowLog;
}

export interface JukeboxOptions {
  arm: PolicyArm;
  /** The bandit policy: acts on the rl arm, is logged beside the baseline in shadow mode. */
  bandit?: BanditPolicy | null;
  /** Shadow mode (baseline arm): log the bandit's choices without acting on them. */
  shadow?: boolean;
  /** A logistic quality model: the rl arm's ranking when no bandit policy is given (the old rule, a comparator). */
  model?: Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'> | null;
  scoring: ScoringOptions;
  rand: () => number;
}

function dwellOf(policy: BanditPolicy, d: BanditDecision, meter: number): DwellChoice {
  const bars = DWELL_BARS[d.index];
  return { index: d.index, bars, beats: bars * meter, probabilities: d.probabilities, scores: d.scores, propensity: d.propensity, policy_version: policy.version };
}

export class JukeboxPolicy {
  #settings: PlayerSettings;
  readonly #ramp: BranchRamp;
  readonly #rotation = new Rotation();
  #bandit: BanditPolicy | null;
  /** Beats left before the player may branch at random again. */
  #dwellLeft = 0;

  constructor(
    private readonly analysis: Pick<AnalysisResult, 'candidates' | 'track'>,
    settings: PlayerSettings,
    private readonly opts: JukeboxOptions,
  ) {
    this.#settings = settings;
    this.#ramp = new BranchRamp(settings);
    this.#bandit = opts.bandit ?? null;
  }

  get settings(): PlayerSettings {
    return this.#settings;
  }

  set settings(s: PlayerSettings) {
    this.#settings = s;
  }

  /** The bandit policy in use; replaced when the player fetches a newer version. */
  get bandit(): BanditPolicy | null {
    return this.#bandit;
  }

  set bandit(p: BanditPolicy | null) {
    this.#bandit = p;
  }

  /** True when the rl arm decides with the bandit. */
  get scoring(): boolean {
    return this.opts.arm === 'rl' && (this.#bandit !== null || (this.opts.model ?? null) !== null);
  }

  /** Beats left in the current dwell. */
  get dwellLeft(): number {
    return this.#dwellLeft;
  }

  /**
   * The jump was placed: the branch ramp starts again (a decision dropped as too late does not reset it),
   * and on the bandit arm the dwell after it is decided (recorded on the decision for the log).
   */
  jumped(d?: JumpDecision): void {
    this.#ramp.reset(this.#settings);
    const p = this.#bandit;
    if (!p || !d) return;
    const meter = this.analysis.track.meter || 4;
    if (this.opts.arm === 'rl') {
      d.dwell = dwellOf(p, decide(p, 'dwell', dwellActionFeatures(), this.opts.rand), meter);
      this.#dwellLeft = d.dwell.beats;
    } else if (this.opts.shadow && d.shadow) {
      d.shadow.dwell = dwellOf(p, decide(p, 'dwell', dwellActionFeatures(), this.opts.rand), meter);
    }
  }

  /** The ramp's current chance (before the next beat's step). */
  get branchChance(): number {
    return this.#ramp.chance;
  }

  /**
   * The jump to take instead of starting `beat`, or null to play it. `forced`: the listener holds
   * shift. Call `jumped` once the jump is actually scheduled.
   */
  decide(beat: number, forced = false): JumpDecision | null {
    const s = this.#settings;
    const dwelling = this.#dwellLeft > 0;
    if (dwelling) this.#dwellLeft--;
    let trigger: Trigger;
    let cands: SourcedCandidate[];
    let branchChance: number | null = null;
    if (beat === this.analysis.track.last_branch_beat) {
      trigger = 'last_branch';
      cands = mustJumpCandidates(this.analysis, beat, s, 'last_branch');
    } else if (forced) {
      trigger = 'forced';
      cands = mustJumpCandidates(this.analysis, beat, s, 'forced');
    } else {
      if (dwelling) return null;
      trigger = 'random';
      cands = eligibleCandidates(this.analysis, beat, s);
      if (cands.length === 0) return null;
      const step = this.#ramp.step(s, this.opts.rand);
      if (!step.branch) return null;
      branchChance = step.chance;
    }
    if (cands.length === 0) return null;
    const choice = chooseFor(this.opts.arm, cands, { bandit: this.#bandit, model: this.opts.model ?? null, scoring: this.opts.scoring, rotation: this.#rotation, rand: this.opts.rand });
    const chosen = cands[choice.index];
    const d: JumpDecision = { source: beat, target: chosen.target, trigger, branchChance, chosen, choice };
    if (this.opts.arm === 'rl' && this.#bandit) d.policyVersion = this.#bandit.version;
    if (this.opts.shadow && this.opts.arm !== 'rl' && this.#bandit) {
      const b = banditJump(cands, this.#bandit, this.opts.rand);
      d.shadow = { policy_version: this.#bandit.version, jump: { index: b.index, probabilities: b.probabilities, scores: b.scores, propensity: b.propensity } };
    }
    return d;
  }
}
