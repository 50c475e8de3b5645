/**
 * The per-beat jump decision of one listening session: branch timing (BranchRamp), the candidates the
 * settings allow (eligible.ts) and the arm's choice (choice.ts). `decide` is called once for each beat
 * just before it is scheduled; everything random comes from the injected `rand`. Pure, browser-safe.
 */
import type { AnalysisResult } from '../analysis/types.js';
import type { ModelJson } from '../policy/model.js';
import type { ScoringOptions } from '../policy/scoring.js';
import type { PolicyArm } from '../shared/jump-event.js';
import { BranchRamp } from './branching.js';
import { chooseFor, Rotation, type Choice } from './choice.js';
import { eligibleCandidates, mustJumpCandidates, type SourcedCandidate, type Trigger } from './eligible.js';
import type { PlayerSettings } from './settings.js';

export interface JumpDecision {
  source: number;
  target: number;
  trigger: Trigger;
  /** The ramp's chance at this beat (null for a jump that did not draw: last branch beat, forced). */
  branchChance: number | null;
  chosen: SourcedCandidate;
  choice: Choice;
}

export interface JukeboxOptions {
  arm: PolicyArm;
  /** The active model (rl arm); null falls back to the baseline rule. */
  model: Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'> | null;
  scoring: ScoringOptions;
  rand: () => number;
}

export class JukeboxPolicy {
  #settings: PlayerSettings;
  readonly #ramp: BranchRamp;
  readonly #rotation = new Rotation();

  constructor(
    private readonly analysis: Pick<AnalysisResult, 'candidates' | 'track'>,
    settings: PlayerSettings,
    private readonly opts: JukeboxOptions,
  ) {
    this.#settings = settings;
    this.#ramp = new BranchRamp(settings);
  }

  get settings(): PlayerSettings {
    return this.#settings;
  }

  set settings(s: PlayerSettings) {
    this.#settings = s;
  }

  /** True when the rl arm actually scores with a model (else it plays by the baseline rule). */
  get scoring(): boolean {
    return this.opts.arm === 'rl' && this.opts.model !== null;
  }

  /** The jump was scheduled: the branch ramp starts again (a decision dropped as too late does not reset it). */
  jumped(): void {
    this.#ramp.reset(this.#settings);
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
      trigger = 'random';
      cands = eligibleCandidates(this.analysis, beat, s);
      if (cands.length === 0) return null;
      const step = this.#ramp.step(s, this.opts.rand);
      if (!step.branch) return null;
      branchChance = step.chance;
    }
    if (cands.length === 0) return null;
    const choice = chooseFor(this.opts.arm, cands, { ...this.opts, rotation: this.#rotation });
    const chosen = cands[choice.index];
    return { source: beat, target: chosen.target, trigger, branchChance, chosen, choice };
  }
}
