/**
 * The player's settings and page configuration: defaults, clamping, and parsing from the URL query and
 * `window.HARMONIZER_CONFIG`. Browser-safe (no Node imports) so the page and the Node tests share it.
 */
import { DEFAULT_SCORING, type ScoringOptions } from '../policy/scoring.js';

export interface PlayerSettings {
  /** Largest candidate `distance` allowed; null = every candidate the analysis kept (its own threshold). */
  threshold: number | null;
  /** Branch chance right after a jump, in [0, 1]. */
  minBranchChance: number;
  /** Ceiling of the ramp, in [minBranchChance, 1]. */
  maxBranchChance: number;
  /** Added to the branch chance at each beat that could branch but did not, in [0, 1]. */
  branchChanceDelta: number;
  onlyBackward: boolean;
  /** Only jumps of at least LONG_SPAN_BEATS beats. */
  onlyLong: boolean;
  /** Equal-power crossfade at a jump, in ms (the server's RL_CROSSFADE_MS default is 30). */
  crossfadeMs: number;
}

/** Classic infinite-jukebox ramp values (min .18, max .5, +.018 per beat). */
export const DEFAULT_SETTINGS: Readonly<PlayerSettings> = Object.freeze({
  threshold: null,
  minBranchChance: 0.18,
  maxBranchChance: 0.5,
  branchChanceDelta: 0.018,
  onlyBackward: false,
  onlyLong: false,
  crossfadeMs: 30,
});

/** "Long" jumps span at least this many beats (8 bars of 4/4). */
export const LONG_SPAN_BEATS = 32;
/** Above this a crossfade smears more than a beat at ordinary tempi. */
export const MAX_CROSSFADE_MS = 250;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Returns settings with every field in range and min ≤ max (a bad field falls back to its default). */
export function normalizeSettings(s: Partial<PlayerSettings>): PlayerSettings {
  const num = (v: unknown, d: number, lo: number, hi: number) =>
    typeof v === 'number' && Number.isFinite(v) ? clamp(v, lo, hi) : d;
  const minC = num(s.minBranchChance, DEFAULT_SETTINGS.minBranchChance, 0, 1);
  const maxC = Math.max(minC, num(s.maxBranchChance, Math.max(minC, DEFAULT_SETTINGS.maxBranchChance), 0, 1));
  return {
    threshold: typeof s.threshold === 'number' && Number.isFinite(s.threshold) && s.threshold >= 0 ? s.threshold : null,
    minBranchChance: minC,
    maxBranchChance: maxC,
    branchChanceDelta: num(s.branchChanceDelta, DEFAULT_SETTINGS.branchChanceDelta, 0, 1),
    onlyBackward: typeof s.onlyBackward === 'boolean' ? s.onlyBackward : DEFAULT_SETTINGS.onlyBackward,
    onlyLong: typeof s.onlyLong === 'boolean' ? s.onlyLong : DEFAULT_SETTINGS.onlyLong,
    crossfadeMs: num(s.crossfadeMs, DEFAULT_SETTINGS.crossfadeMs, 0, MAX_CROSSFADE_MS),
  };
}

/** The settings as logged in a jump event's `settings` (snake_case, like the rest of the schema). */
export function settingsForLog(s: PlayerSettings): Record<string, number | boolean | null> {
  return {
    threshold: s.threshold,
    min_branch_chance: s.minBranchChance,
    max_branch_chance: s.maxBranchChance,
    branch_chance_delta: s.branchChanceDelta,
    only_backward: s.onlyBackward,
    only_long: s.onlyLong,
    crossfade_ms: s.crossfadeMs,
  };
}

/** What `window.HARMONIZER_CONFIG` may hold (set by an embedding page before player.js loads). */
export interface HarmonizerConfigInput {
  rlLoggingEnabled?: unknown;
  apiBaseUrl?: unknown;
  settings?: unknown;
  trackId?: unknown;
  autoplay?: unknown;
  scoring?: unknown;
}

export interface PageConfig {
  rlLoggingEnabled: boolean;
  /** '' = same origin; else an absolute http(s) URL without a trailing slash. */
  apiBaseUrl: string;
  settings: PlayerSettings;
  /** Track to open at start (`?track=`), if any. */
  trackId: string | null;
  /** Start playing as soon as the track is ready (`?autoplay=1`; needs an autoplay-permitting browser). */
  autoplay: boolean;
  scoring: Required<ScoringOptions>;
}

/** The rl arm explores a little by default, so every candidate it may play keeps a known, non-zero chance. */
export const PLAYER_SCORING: Readonly<Required<ScoringOptions>> = Object.freeze({ ...DEFAULT_SCORING, epsilon: 0.1 });

const truthy = (v: string | null) => v !== null && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function numParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function boolParam(q: URLSearchParams, key: string): boolean | undefined {
  const v = q.get(key);
  return v === null ? undefined : truthy(v);
}

/** URL query keys of the settings (snake_case, the same names as in the logged `settings`). */
function settingsFromQuery(q: URLSearchParams): Partial<PlayerSettings> {
  const out: Partial<PlayerSettings> = {};
  const set = <K extends keyof PlayerSettings>(k: K, v: PlayerSettings[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('threshold', numParam(q, 'threshold'));
  set('minBranchChance', numParam(q, 'min_branch_chance'));
  set('maxBranchChance', numParam(q, 'max_branch_chance'));
  set('branchChanceDelta', numParam(q, 'branch_chance_delta'));
  set('onlyBackward', boolParam(q, 'only_backward'));
  set('onlyLong', boolParam(q, 'only_long'));
  set('crossfadeMs', numParam(q, 'crossfade_ms'));
  return out;
}

function cleanBaseUrl(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') return '';
  try {
    const u = new URL(v.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
    return u.href.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

function scoringFrom(v: unknown): Required<ScoringOptions> {
  const s = isObj(v) ? v : {};
  const pick = (k: keyof ScoringOptions, lo: number, hi: number) => {
    const x = s[k];
    return typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi ? x : PLAYER_SCORING[k];
  };
  return { floor: pick('floor', 0, 1), temperature: pick('temperature', 0, 1e6), epsilon: pick('epsilon', 0, 1) };
}

/**
 * Page configuration: HARMONIZER_CONFIG first, then the query string overrides it (`?rl=1` turns
 * logging on; settings keys as in `settingsForLog`). Logging is off unless one of them turns it on.
 */
export function readPageConfig(raw: unknown, search: string): PageConfig {
  const c: HarmonizerConfigInput = isObj(raw) ? raw : {};
  const q = new URLSearchParams(search);
  const fromConfig = isObj(c.settings) ? (c.settings as Partial<PlayerSettings>) : {};
  const rlParam = q.get('rl');
  const track = q.get('track') ?? (typeof c.trackId === 'string' ? c.trackId : null);
  return {
    rlLoggingEnabled: rlParam !== null ? truthy(rlParam) : c.rlLoggingEnabled === true,
    apiBaseUrl: cleanBaseUrl(c.apiBaseUrl),
    settings: normalizeSettings({ ...fromConfig, ...settingsFromQuery(q) }),
    trackId: track && track.length <= 128 ? track : null,
    autoplay: q.get('autoplay') !== null ? truthy(q.get('autoplay')) : c.autoplay === true,
    scoring: scoringFrom(c.scoring),
  };
}
