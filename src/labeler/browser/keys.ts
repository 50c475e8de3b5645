/**
 * The keyboard map, in one table: the page's buttons show these keys and the key handler reads them.
 * Browser-safe, no DOM: `actionOf` is a pure function of the key event's fields.
 */
export type Action =
  | 'good' | 'meh' | 'bad' | 'skip' | 'undo' | 'play' | 'replay' | 'reference'
  | 'back' | 'forward' | 'slower' | 'faster' | 'notes';

export const KEYMAP: Readonly<Record<string, Action>> = {
  g: 'good',
  m: 'meh',
  b: 'bad',
  s: 'skip',
  u: 'undo',
  ' ': 'play',
  r: 'replay',
  a: 'reference',
  ArrowLeft: 'back',
  ArrowRight: 'forward',
  '[': 'slower',
  ']': 'faster',
  n: 'notes',
};

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The action of a key pressed outside text fields, or undefined (modifier chords are the browser's). */
export function actionOf(e: KeyLike): Action | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return KEYMAP[k];
}

/** Playback rates reachable with [ and ]: 0.5× to 2× in quarter steps. */
export const MIN_RATE = 0.5;
export const MAX_RATE = 2;
export function stepRate(rate: number, dir: -1 | 1): number {
  return Math.min(MAX_RATE, Math.max(MIN_RATE, Math.round((rate + dir * 0.25) * 4) / 4));
}
