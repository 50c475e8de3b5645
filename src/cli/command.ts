import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errors } from '../shared/errors.js';

/** One CLI command: its options are declared once and drive both parsing and --help. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  /** Help text per option name. */
  optionHelp?: Record<string, string>;
  allowPositionals?: boolean;
  /** Subcommands (`track add`, `track list`): `harmonizer track add --help` shows only theirs. */
  subcommands?: readonly Subcommand[];
  /**
   * True when the command runs on PostgreSQL when RL_DATABASE_URL is set. The others refuse the
   * variable rather than ignore it: silently using SQLite would split the data between two stores.
   */
  postgres?: boolean;
  run(args: ParsedArgs): Promise<number | void>;
}

export interface Subcommand {
  name: string;
  summary: string;
  usage: string;
  /** The command's options this subcommand takes (default none). */
  options?: readonly string[];
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function helpText(cmd: Command, sub?: Subcommand): string {
  const lines = sub
    ? [`harmonizer ${cmd.name} ${sub.name}: ${sub.summary}`, '', `usage: harmonizer ${sub.usage}`]
    : [`harmonizer ${cmd.name}: ${cmd.summary}`, '', `usage: harmonizer ${cmd.usage}`];
  if (!sub && cmd.subcommands) {
    lines.push('', 'subcommands (harmonizer ' + cmd.name + ' <subcommand> --help for its options):');
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(22)} ${s.summary}`);
  }
  const opts = Object.entries(cmd.options ?? {}).filter(([name]) => !sub || (sub.options ?? []).includes(name));
  if (opts.length > 0) {
    lines.push('', 'options:');
    for (const [name, o] of opts) {
      const flag = `--${name}${o.type === 'string' ? ' VALUE' : ''}`;
      lines.push(`  ${flag.padEnd(22)} ${cmd.optionHelp?.[name] ?? ''}${o.default !== undefined ? ` (default ${String(o.default)})` : ''}`);
    }
  }
  lines.push(`  ${'--help'.padEnd(22)} show this help`);
  return lines.join('\n');
}

/** The subcommand named first in argv, if the command has it. */
export function subcommandOf(cmd: Command, argv: readonly string[]): Subcommand | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return cmd.subcommands?.find((s) => s.name === first);
}

/** Parses argv for a command; unknown options and bad values become INVALID_ARGUMENT naming the option. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  try {
    const r = parseArgs({ args: argv, options: cmd.options ?? {}, allowPositionals: cmd.allowPositionals ?? false, strict: true });
    return { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (err) {
    throw errors.invalidArgument(`${(err as Error).message.replace(/^.*?: /, '')} (see harmonizer ${cmd.name} --help)`);
  }
}

/** A positive integer option, or INVALID_ARGUMENT naming it. */
export function intOption(values: ParsedArgs['values'], name: string, min: number, max: number): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
    throw errors.invalidArgument(`--${name} must be an integer from ${min} to ${max} (got "${String(raw)}")`);
  }
  return n;
}

/** A number option within [min, max], or INVALID_ARGUMENT naming it. */
export function numberOption(values: ParsedArgs['values'], name: string, min: number, max: number): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw errors.invalidArgument(`--${name} must be a number from ${min} to ${max} (got "${String(raw)}")`);
  }
  return n;
}
