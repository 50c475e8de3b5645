import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { hostname } from 'node:os';
import { errors } from './errors.js';
import { projectRoot } from './paths.js';

/**
 * Every environment variable Harmonizer RL reads, parsed and validated here and nowhere else.
 * `loadConfig` throws INVALID_CONFIG naming the variable and the accepted values; the result is frozen.
 */
export type PolicyMode = 'auto' | 'baseline' | 'rl' | 'shadow';
export const POLICY_MODES: readonly PolicyMode[] = ['auto', 'baseline', 'rl', 'shadow'];
export type BanditAlgorithmName = 'squarecb' | 'epsilon_greedy';
export const BANDIT_ALGORITHM_NAMES: readonly BanditAlgorithmName[] = ['squarecb', 'epsilon_greedy'];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly policyMode: PolicyMode;
  /** Exploration rate of the ε-greedy bandit algorithm. */
  readonly policyEps: number;
  /** Share of new sessions kept on the baseline in `auto` mode. */
  readonly holdout: number;
  /** Implicit-reward window after a jump (seconds). */
  readonly rewardWindowS: number;
  /** How long after a jump event arrives its listener signals may still be on the way (seconds). */
  readonly rewardSettleS: number;
  /** Regression weight of a label reward and of an implicit (listener-signal) reward. */
  readonly rewardLabelWeight: number;
  readonly rewardImplicitWeight: number;
  readonly banditAlgorithm: BanditAlgorithmName;
  /** Every action's probability is at least this. */
  readonly banditFloor: number;
  /** SquareCB: γ = scale · √(K · rewards seen). */
  readonly banditGamma: number;
  /** The learner publishes a candidate policy after this many reward changes. */
  readonly banditPublishEvery: number;
  /**
   * No version is promoted before the gate's window holds this many decisions with a reward: the first
   * promoted version tends to stay (a later one must beat it by its whole interval), so it should have
   * learned from enough.
   */
  readonly banditMinDecisions: number;
  /** Share of jump events the renderer renders (chosen by a hash of the event id, so every renderer agrees). */
  readonly renderShare: number;
  /** undefined when unset: the server then generates one at start-up (labeler issue). */
  readonly labelerToken: string | undefined;
  /** Token for the operator's views (telemetry with labeler names); defaults to the labeler's token. */
  readonly dashboardToken: string | undefined;
  readonly pcmCacheMb: number;
  readonly crossfadeMs: number;
  readonly labelsPerClip: number;
  readonly uploadMaxMb: number;
  /** Uploads decoding to more minutes than this are refused (413) as they decode. */
  readonly uploadMaxMinutes: number;
  /** When set, POST /api/tracks needs it (Authorization: Bearer or X-Upload-Token). */
  readonly uploadToken: string | undefined;
  /** Total size of the stored track files; an upload that would pass it is refused with 507. */
  readonly tracksMaxGb: number;
  /**
   * Request bodies held in memory at once, all connections together (MB): a body that would pass it is
   * refused with 503 and Retry-After before it is read, so concurrent uploads cannot exhaust memory.
   */
  readonly bodyBudgetMb: number;
  /** The rejected beacons' dead letters are kept under this size (oldest dropped first). */
  readonly rejectedMaxMb: number;
  /** Per-labeler tokens (token → name): a token names its labeler, whatever the X-Labeler-Name header says. */
  readonly labelerTokens: ReadonlyMap<string, string> | undefined;
  /** A PostgreSQL database (`harmonizer db`); unset, everything is SQLite under the data dir. */
  readonly databaseUrl: string | undefined;
  /** Connections in the PostgreSQL pool. */
  readonly dbPool: number;
  /** Names this ingest node's mirror cursor in PostgreSQL; default host:data dir (each node keeps its own mirror). */
  readonly nodeId: string;
  /** Worker threads for render / analysis / training pools. */
  readonly threads: number;
  /** Group commit: flush when this many events are queued ... */
  readonly commitMaxEvents: number;
  /** ... or when the oldest queued event has waited this long (0: as soon as the writer has room). */
  readonly commitMaxDelayMs: number;
  /** Bounded write queue: above this many queued events the beacon answers 503. */
  readonly writeQueueMax: number;
  /** Every path under the data dir, resolved once (dataPaths). */
  readonly paths: DataPaths;
}

type Parser<T> = (raw: string, name: string) => T;

const int =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw errors.invalidConfig(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return n;
  };

const num =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw errors.invalidConfig(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
    }
    return n;
  };

const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw, name) => {
    if (!(values as readonly string[]).includes(raw)) {
      throw errors.invalidConfig(`${name} must be one of ${values.join(' | ')} (got "${raw}")`);
    }
    return raw as T;
  };

const text: Parser<string> = (raw, name) => {
  if (raw.trim() === '') throw errors.invalidConfig(`${name} must not be empty`);
  return raw;
};

const token: Parser<string> = (raw, name) => {
  if (raw.length < 8 || /\s/.test(raw)) {
    throw errors.invalidConfig(`${name} must be at least 8 characters without spaces`);
  }
  return raw;
};

/** `name:token,name:token`: per-labeler tokens; names are unique, tokens unique and ≥ 8 characters. */
const labelerTokens: Parser<ReadonlyMap<string, string>> = (raw, name) => {
  const byToken = new Map<string, string>();
  const names = new Set<string>();
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const who = at > 0 ? entry.slice(0, at).trim() : '';
    const tok = at > 0 ? entry.slice(at + 1) : '';
    if (!who || who.length > 64 || /[\u0000-\u001f\u007f]/.test(who)) throw errors.invalidConfig(`${name}: "${entry}" must be name:token with a name of 1-64 printable characters`);
    token(tok, `${name} (the token of "${who}")`);
    if (names.has(who)) throw errors.invalidConfig(`${name}: the name "${who}" appears twice`);
    if (byToken.has(tok)) throw errors.invalidConfig(`${name}: "${who}" and "${byToken.get(tok)}" share a token`);
    names.add(who);
    byToken.set(tok, who);
  }
  if (byToken.size === 0) throw errors.invalidConfig(`${name} must list at least one name:token`);
  return byToken;
};

/** A PostgreSQL connection URL (postgres:// or postgresql://), checked by URL syntax; its password stays out of messages. */
const postgresUrl: Parser<string> = (raw, name) => {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw errors.invalidConfig(`${name} must be a postgres:// URL`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw errors.invalidConfig(`${name} must be a postgres:// URL (got ${u.protocol}//…)`);
  return raw;
};

/**
 * Share of RL_BODY_BUDGET_MB that bodies over 1 MB (uploads) may hold; the rest stays for beacons and
 * labels (the HTTP adapter applies it, the config checks that one upload fits).
 */
export const LARGE_BODY_SHARE = 7 / 8;

/** The table of variables: name, default, parser. Defaults live here only. */
const VARS = {
  PORT: { def: '4000', parse: int(0, 65535) },
  HOST: { def: '127.0.0.1', parse: text },
  RL_DATA_DIR: { def: 'data/rl', parse: text },
  RL_POLICY_MODE: { def: 'auto', parse: oneOf(POLICY_MODES) },
  RL_POLICY_EPS: { def: '0.1', parse: num(0, 1) },
  RL_HOLDOUT: { def: '0.2', parse: num(0, 1) },
  RL_REWARD_WINDOW_S: { def: '10', parse: num(1, 600) },
  RL_REWARD_SETTLE_S: { def: '20', parse: num(0, 3600) },
  RL_REWARD_LABEL_WEIGHT: { def: '1', parse: num(0, 100) },
  RL_REWARD_IMPLICIT_WEIGHT: { def: '1', parse: num(0, 100) },
  RL_BANDIT_ALGO: { def: 'squarecb', parse: oneOf(BANDIT_ALGORITHM_NAMES) },
  RL_BANDIT_FLOOR: { def: '0.01', parse: num(0, 0.05) },
  RL_BANDIT_GAMMA: { def: '40', parse: num(0, 1000) },
  RL_BANDIT_PUBLISH_EVERY: { def: '200', parse: int(1, 1_000_000) },
  RL_BANDIT_MIN_DECISIONS: { def: '2000', parse: int(20, 1_000_000) },
  RL_RENDER_SHARE: { def: '1', parse: num(0, 1) },
  RL_LABELER_TOKEN: { def: undefined, parse: token },
  RL_DASHBOARD_TOKEN: { def: undefined, parse: token },
  RL_PCM_CACHE_MB: { def: '512', parse: int(16, 16384) },
  RL_CROSSFADE_MS: { def: '30', parse: num(0, 1000) },
  RL_LABELS_PER_CLIP: { def: '1', parse: int(1, 20) },
  RL_UPLOAD_MAX_MB: { def: '50', parse: int(1, 2048) },
  RL_UPLOAD_MAX_MINUTES: { def: '20', parse: num(0.1, 600) },
  RL_UPLOAD_TOKEN: { def: undefined, parse: token },
  RL_TRACKS_MAX_GB: { def: '10', parse: num(0.001, 100_000) },
  RL_BODY_BUDGET_MB: { def: '256', parse: int(2, 65_536) },
  RL_REJECTED_MAX_MB: { def: '64', parse: num(0.01, 100_000) },
  RL_LABELER_TOKENS: { def: undefined, parse: labelerTokens },
  RL_DATABASE_URL: { def: undefined, parse: postgresUrl },
  RL_DB_POOL: { def: '10', parse: int(1, 500) },
  RL_NODE_ID: { def: undefined, parse: text },
  RL_THREADS: { def: undefined, parse: int(1, 64) },
  RL_COMMIT_MAX_EVENTS: { def: '1000', parse: int(1, 100_000) },
  RL_COMMIT_MAX_DELAY_MS: { def: '0', parse: num(0, 1000) },
  RL_WRITE_QUEUE_MAX: { def: '50000', parse: int(1, 10_000_000) },
} as const;

export type ConfigVar = keyof typeof VARS;
export const CONFIG_VARS = Object.keys(VARS) as ConfigVar[];

function read<T>(env: NodeJS.ProcessEnv, name: ConfigVar, parse: Parser<T>): T | undefined {
  const raw = env[name];
  const def = VARS[name].def;
  if (raw === undefined || raw === '') return def === undefined ? undefined : parse(def, name);
  return parse(raw, name);
}

/** Parses the environment (process.env by default) into a frozen Config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDirRaw = read(env, 'RL_DATA_DIR', VARS.RL_DATA_DIR.parse)!;
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(projectRoot, dataDirRaw);
  const cpus = Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2);
  const config: Config = {
    port: read(env, 'PORT', VARS.PORT.parse)!,
    host: read(env, 'HOST', VARS.HOST.parse)!,
    dataDir,
    policyMode: read(env, 'RL_POLICY_MODE', VARS.RL_POLICY_MODE.parse)!,
    policyEps: read(env, 'RL_POLICY_EPS', VARS.RL_POLICY_EPS.parse)!,
    holdout: read(env, 'RL_HOLDOUT', VARS.RL_HOLDOUT.parse)!,
    rewardWindowS: read(env, 'RL_REWARD_WINDOW_S', VARS.RL_REWARD_WINDOW_S.parse)!,
    rewardSettleS: read(env, 'RL_REWARD_SETTLE_S', VARS.RL_REWARD_SETTLE_S.parse)!,
    rewardLabelWeight: read(env, 'RL_REWARD_LABEL_WEIGHT', VARS.RL_REWARD_LABEL_WEIGHT.parse)!,
    rewardImplicitWeight: read(env, 'RL_REWARD_IMPLICIT_WEIGHT', VARS.RL_REWARD_IMPLICIT_WEIGHT.parse)!,
    banditAlgorithm: read(env, 'RL_BANDIT_ALGO', VARS.RL_BANDIT_ALGO.parse)!,
    banditFloor: read(env, 'RL_BANDIT_FLOOR', VARS.RL_BANDIT_FLOOR.parse)!,
    banditGamma: read(env, 'RL_BANDIT_GAMMA', VARS.RL_BANDIT_GAMMA.parse)!,
    banditPublishEvery: read(env, 'RL_BANDIT_PUBLISH_EVERY', VARS.RL_BANDIT_PUBLISH_EVERY.parse)!,
    banditMinDecisions: read(env, 'RL_BANDIT_MIN_DECISIONS', VARS.RL_BANDIT_MIN_DECISIONS.parse)!,
    renderShare: read(env, 'RL_RENDER_SHARE', VARS.RL_RENDER_SHARE.parse)!,
    labelerToken: read(env, 'RL_LABELER_TOKEN', VARS.RL_LABELER_TOKEN.parse),
    dashboardToken: read(env, 'RL_DASHBOARD_TOKEN', VARS.RL_DASHBOARD_TOKEN.parse),
    pcmCacheMb: read(env, 'RL_PCM_CACHE_MB', VARS.RL_PCM_CACHE_MB.parse)!,
    crossfadeMs: read(env, 'RL_CROSSFADE_MS', VARS.RL_CROSSFADE_MS.parse)!,
    labelsPerClip: read(env, 'RL_LABELS_PER_CLIP', VARS.RL_LABELS_PER_CLIP.parse)!,
    uploadMaxMb: read(env, 'RL_UPLOAD_MAX_MB', VARS.RL_UPLOAD_MAX_MB.parse)!,
    uploadMaxMinutes: read(env, 'RL_UPLOAD_MAX_MINUTES', VARS.RL_UPLOAD_MAX_MINUTES.parse)!,
    uploadToken: read(env, 'RL_UPLOAD_TOKEN', VARS.RL_UPLOAD_TOKEN.parse),
    tracksMaxGb: read(env, 'RL_TRACKS_MAX_GB', VARS.RL_TRACKS_MAX_GB.parse)!,
    bodyBudgetMb: read(env, 'RL_BODY_BUDGET_MB', VARS.RL_BODY_BUDGET_MB.parse)!,
    rejectedMaxMb: read(env, 'RL_REJECTED_MAX_MB', VARS.RL_REJECTED_MAX_MB.parse)!,
    labelerTokens: read(env, 'RL_LABELER_TOKENS', VARS.RL_LABELER_TOKENS.parse),
    databaseUrl: read(env, 'RL_DATABASE_URL', VARS.RL_DATABASE_URL.parse),
    dbPool: read(env, 'RL_DB_POOL', VARS.RL_DB_POOL.parse)!,
    nodeId: read(env, 'RL_NODE_ID', VARS.RL_NODE_ID.parse) ?? `${hostname()}:${dataDir}`,
    threads: read(env, 'RL_THREADS', VARS.RL_THREADS.parse) ?? cpus,
    commitMaxEvents: read(env, 'RL_COMMIT_MAX_EVENTS', VARS.RL_COMMIT_MAX_EVENTS.parse)!,
    commitMaxDelayMs: read(env, 'RL_COMMIT_MAX_DELAY_MS', VARS.RL_COMMIT_MAX_DELAY_MS.parse)!,
    writeQueueMax: read(env, 'RL_WRITE_QUEUE_MAX', VARS.RL_WRITE_QUEUE_MAX.parse)!,
    paths: undefined as unknown as DataPaths,
    ...overrides,
  };
  // One upload of the largest size (and its multipart envelope) must fit in the uploads' share, or every
  // upload would be refused as "busy".
  if (config.bodyBudgetMb * LARGE_BODY_SHARE <= config.uploadMaxMb + 1) {
    throw errors.invalidConfig(
      `RL_BODY_BUDGET_MB must leave room for one upload of RL_UPLOAD_MAX_MB in its 7/8 for bodies over 1 MB: at least ${Math.floor((config.uploadMaxMb + 1) / LARGE_BODY_SHARE) + 1} (got ${config.bodyBudgetMb} and ${config.uploadMaxMb})`,
    );
  }
  // After the overrides: a different data dir moves every path with it.
  return Object.freeze({ ...config, paths: overrides.paths ?? dataPaths(config) });
}

export type DataPaths = ReturnType<typeof dataPaths>;

/** A node id as one file name: characters other than letters, digits, '.', '_' and '-' become '_' (and a hash keeps distinct ids apart). */
function fileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return safe === id ? id : `${safe}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

/** Paths under the data dir, derived in one place (loadConfig puts them in `config.paths`). */
export function dataPaths(config: Pick<Config, 'dataDir'> & Partial<Pick<Config, 'databaseUrl' | 'nodeId'>>) {
  const d = config.dataDir;
  return Object.freeze({
    db: resolve(d, 'rl.sqlite3'),
    /**
     * The ingest's JSONL mirror. On PostgreSQL every node keeps its own (its local backup and recovery
     * log, with its own cursor in the database), and the data dir may be one folder all nodes share
     * (tracks, snippets): so each node's mirror lives under nodes/<RL_NODE_ID>.
     */
    jsonl: config.databaseUrl && config.nodeId ? resolve(d, 'nodes', fileName(config.nodeId), 'jump_events.jsonl') : resolve(d, 'jump_events.jsonl'),
    tracks: resolve(d, 'tracks'),
    snippets: resolve(d, 'snippets'),
    analysis: resolve(d, 'analysis'),
    model: resolve(d, 'model.json'),
    models: resolve(d, 'models'),
    /** The active bandit policy (GET /api/rl/policy-model). */
    policy: resolve(d, 'policy.json'),
    /** Pid of the process whose learner thread owns the reward log (bandit replay refuses while it runs). */
    learnerPid: resolve(d, 'learner.pid'),
  });
}
