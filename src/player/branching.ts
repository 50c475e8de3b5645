/**
 * When to branch: the classic infinite-jukebox ramp. At each beat that has a candidate the branch chance
 * grows by `delta` (capped at `max`), a uniform draw below it branches, and a jump that is actually
 * played resets it to `min` (`reset`, called by the player once the jump is scheduled: a jump
 * dropped because it came too late for the audio clock leaves the ramp high).
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
   * One beat that could branch: ramps and draws once from `rand`. Returns whether to branch and the
   * chance the draw used (logged with the jump).
   */
  step(
    s: Pick<PlayerSettings, 'minBranchChance' | 'maxBranchChance' | 'branchChanceDelta'>,
    rand: () => number,
  ): { branch: boolean; chance: number } {
    const chance = Math.min(s.maxBranchChance, Math.max(s.minBranchChance, this.#chance + s.branchChanceDelta));
    this.#chance = chance;
    return { branch: rand() < chance, chance };
  }

  /** After any jump played (also a forced one) the ramp starts again from the minimum. */
  reset(s: Pick<PlayerSettings, 'minBranchChance'>): void {
    this.#chance = s.minBranchChance;
  }
}
