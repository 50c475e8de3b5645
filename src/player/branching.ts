/**
 * When to branch: the classic infinite-jukebox ramp. At each beat that has a candidate the branch chance
 * grows by `delta` (capped at `max`), a uniform draw below it branches, and a branch resets it to `min`.
 * The same timing serves both arms, so they differ only in which candidate they take.
 */
import type { PlayerSettings } from './settings.js';

export class BranchRamp {
  #chance: number;

  constructor(settings: Pick<PlayerSettings, 'minBranchChance'>) {
    this.#chance = settings.minBranchChance;
  }

  /** The chance the next `step` starts from. */
  get chance(): number {
    return this.#chance;
  }

  /**
   * One beat that could branch: ramps, draws once from `rand`, resets on a branch. Returns whether to
   * branch and the chance the draw used (logged with the jump).
   */
  step(
    s: Pick<PlayerSettings, 'minBranchChance' | 'maxBranchChance' | 'branchChanceDelta'>,
    rand: () => number,
  ): { branch: boolean; chance: number } {
    const chance = Math.min(s.maxBranchChance, Math.max(s.minBranchChance, this.#chance + s.branchChanceDelta));
    this.#chance = chance;
    const branch = rand() < chance;
    if (branch) this.reset(s);
    return { branch, chance };
  }

  /** After any jump (also a forced one) the ramp starts again from the minimum. */
  reset(s: Pick<PlayerSettings, 'minBranchChance'>): void {
    this.#chance = s.minBranchChance;
  }
}
