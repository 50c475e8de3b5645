import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import type { TrackRow } from '../../store/index.js';
import { withStore } from '../store.js';
import { sha256File } from '../../render/index.js';
import { AnalysisService, type AnalysisOutcome, type AnalysisSource } from '../../analysis/service.js';
import { DEFAULT_OPTIONS, STAGES, type AnalysisOptions, type AnalysisResult } from '../../analysis/index.js';
import { TRACK_ID } from '../../tracks/register.js';
import { table } from '../../telemetry/format.js';
import { intOption, type Command, type ParsedArgs } from '../command.js';

export interface AnalyzeRequest {
  /** A registered track id, or a path to an audio file. */
  target: string;
  json?: boolean;
  options?: AnalysisOptions;
}

/** A registered track wins over a file of the same name in the working directory. */
async function resolveTarget(target: string, config: Config): Promise<{ src: AnalysisSource; label: string; row?: TrackRow } | { file: string }> {
  // Without RL_DATABASE_URL and no SQLite file yet, no track is registered: a file path it is.
  if (TRACK_ID.test(target) && (config.databaseUrl || existsSync(config.paths.db))) {
    const row = await withStore(config, (store) => store.tracks.get(target), { readonly: true });
    if (row) return { src: row, label: `track ${row.track_id} (${row.title})`, row };
  }
  if (existsSync(target)) {
    if (!statSync(target).isFile()) throw errors.invalidArgument(`${target} is not a file`);
    return { file: resolve(target) };
  }
  throw errors.invalidArgument(`"${target}" is neither a registered track id nor a file (see harmonizer track list)`);
}

/**
 * Analyzes a track or file (through the JSON cache when the options are the defaults) and prints either
 * the analysis JSON or a summary. Exported so tests run it in-process with their own config.
 */
export async function runAnalyze(req: AnalyzeRequest, config: Config, print: (line: string) => void = console.log): Promise<AnalysisOutcome> {
  const resolved = await resolveTarget(req.target, config);
  const { src, label } =
    'file' in resolved ? { src: { sha256: await sha256File(resolved.file), path: resolved.file }, label: resolved.file } : resolved;
  // One worker: the CLI analyzes one track, and a cache hit starts none at all.
  const service = new AnalysisService({ cacheDir: config.paths.analysis, threads: 1 });
  try {
    const outcome = await service.analyze(src, req.options);
    print(req.json ? JSON.stringify(outcome.result, null, 2) : summary(label, outcome, req.options));
    return outcome;
  } finally {
    await service.close();
  }
}

const fixed = (n: number, d: number) => n.toFixed(d);

/** The human-readable summary: what the track is, what was found, and where the time went. */
export function summary(label: string, o: AnalysisOutcome, options: AnalysisOptions | undefined): string {
  const r: AnalysisResult = o.result;
  const t = r.track;
  const out = [
    `${label}: ${fixed(t.duration, 2)} s at ${t.sample_rate} Hz`,
    o.cached ? `analysis v${r.version}: from the cache (timings are those of the original run)` : `analysis v${r.version}: computed (decode ${fixed(o.decodeMs, 0)} ms)`,
  ];
  if (r.status === 'no_beats') {
    out.push(`status: no beats: ${r.warning ?? 'no steady pulse'}`);
  } else {
    const jumps = r.candidates.reduce((n, l) => n + l.length, 0);
    const forced = r.candidates.reduce((n, l) => n + l.filter((c) => c.forced).length, 0);
    const withJump = r.candidates.filter((l) => l.length > 0).length;
    const lb = t.last_branch_beat;
    out.push(
      `tempo: ${fixed(t.tempo, 2)} BPM (confidence ${fixed(t.tempo_confidence, 2)}), meter ${t.meter}`,
      `beats: ${t.n_beats}`,
      `sections: ${r.sections.length} (${r.sections.map((s) => s.label).join(' ')})`,
      `jumps: ${jumps} candidates${forced ? ` (${forced} forced)` : ''} from ${withJump} beats (${fixed((100 * withJump) / Math.max(1, t.n_beats), 1)} %), threshold ${fixed(t.threshold, 3)} (${options?.threshold !== undefined ? 'fixed' : 'auto'}), at most ${options?.maxCandidates ?? DEFAULT_OPTIONS.maxCandidates} per beat`,
      `last branch beat: ${lb < 0 ? 'none' : `${lb} at ${fixed(r.beats[lb]!.start, 2)} s`}`,
    );
  }
  const rows: [string, number][] = STAGES.map((k) => [k, r.timings_ms[k] ?? 0]);
  rows.push(['total', rows.reduce((s, [, ms]) => s + ms, 0)]);
  // Pre-formatted with one decimal and right-aligned here: table() would print 241 next to 6.800.
  const width = Math.max(...rows.map(([, ms]) => fixed(ms, 1).length));
  out.push('', table(['stage', 'ms'.padStart(width)], rows.map(([k, ms]) => [k, fixed(ms, 1).padStart(width)])));
  return out.join('\n');
}

/** --threshold: a finite number > 0 (the analysis option's own rule, named as the CLI flag). */
function thresholdOption(values: ParsedArgs['values']): number {
  const raw = values.threshold;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw errors.invalidArgument(`--threshold must be a number > 0 (got "${String(raw)}")`);
  }
  return n;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'analyze a track or audio file: tempo, beats, sections, jump candidates, stage timings',
  usage: 'analyze <track_id|file> [--json] [--threshold X] [--k N]',
  options: { json: { type: 'boolean' }, threshold: { type: 'string' }, k: { type: 'string' } },
  optionHelp: {
    json: 'print the analysis JSON instead of the summary',
    threshold: 'fixed context-distance threshold (default: auto-tuned); results with options are not cached',
    k: 'at most this many candidates per beat, 0..32 (default 4)',
  },
  allowPositionals: true,
  postgres: true,
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw errors.invalidArgument('usage: harmonizer analyze <track_id|file> [--json] [--threshold X] [--k N]');
    const options: AnalysisOptions = {
      ...(values.threshold !== undefined ? { threshold: thresholdOption(values) } : {}),
      ...(values.k !== undefined ? { maxCandidates: intOption(values, 'k', 0, 32) } : {}),
    };
    await runAnalyze(
      { target: positionals[0]!, json: values.json === true, ...(Object.keys(options).length > 0 ? { options } : {}) },
      loadConfig(),
    );
  },
};
