/** The settings panel: sliders and checkboxes bound to PlayerSettings (normalized on every change). */
import { normalizeSettings, type PlayerSettings } from '../settings.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export class SettingsPanel {
  #settings: PlayerSettings;
  /** Largest threshold the slider offers: the track's own (every candidate) — the slider's end means "all". */
  #maxThreshold = 1;

  constructor(
    initial: PlayerSettings,
    private readonly onChange: (s: PlayerSettings) => void,
  ) {
    this.#settings = initial;
    for (const id of ['s-threshold', 's-min', 's-max', 's-delta', 's-xfade', 's-backward', 's-long']) {
      $(id).addEventListener('input', () => this.#read());
    }
    this.#write();
  }

  get settings(): PlayerSettings {
    return this.#settings;
  }

  /** Rescales the threshold slider to a track's candidate distances (its analysis threshold). */
  setTrackThreshold(threshold: number, maxDistance: number): void {
    this.#maxThreshold = Math.max(threshold, maxDistance, 1e-3);
    const slider = $<HTMLInputElement>('s-threshold');
    slider.max = String(this.#maxThreshold);
    slider.step = String(this.#maxThreshold / 100);
    this.#write();
  }

  #read(): void {
    const num = (id: string) => Number($<HTMLInputElement>(id).value);
    const t = num('s-threshold');
    this.#settings = normalizeSettings({
      threshold: t >= this.#maxThreshold * 0.999 ? null : t,
      minBranchChance: num('s-min'),
      maxBranchChance: Math.max(num('s-min'), num('s-max')),
      branchChanceDelta: num('s-delta'),
      crossfadeMs: num('s-xfade'),
      onlyBackward: $<HTMLInputElement>('s-backward').checked,
      onlyLong: $<HTMLInputElement>('s-long').checked,
    });
    this.#write();
    this.onChange(this.#settings);
  }

  #write(): void {
    const s = this.#settings;
    const set = (id: string, v: number) => ($<HTMLInputElement>(id).value = String(v));
    set('s-threshold', s.threshold ?? this.#maxThreshold);
    set('s-min', s.minBranchChance);
    set('s-max', s.maxBranchChance);
    set('s-delta', s.branchChanceDelta);
    set('s-xfade', s.crossfadeMs);
    $<HTMLInputElement>('s-backward').checked = s.onlyBackward;
    $<HTMLInputElement>('s-long').checked = s.onlyLong;
    $('v-threshold').textContent = s.threshold === null ? 'all' : s.threshold.toFixed(3);
    $('v-min').textContent = s.minBranchChance.toFixed(2);
    $('v-max').textContent = s.maxBranchChance.toFixed(2);
    $('v-delta').textContent = s.branchChanceDelta.toFixed(3);
    $('v-xfade').textContent = String(Math.round(s.crossfadeMs));
  }
}
