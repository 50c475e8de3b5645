import { HarmonizerError, errors, fromStorageError, isHarmonizerError } from '../shared/errors.js';
import { loadConfig } from '../shared/config.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../shared/paths.js';
import { helpText, parseCommandArgs, subcommandOf, type Command } from './command.js';

/** The version in package.json (the one file that states it). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
import { commands } from './commands/index.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'harmonizer: learns which jumps sound good in an infinite-jukebox player',
    '',
    'usage: harmonizer <command> [options]   (harmonizer <command> --help for its options; --version)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`harmonizer ${packageVersion()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd: Command | undefined = commands.find((c) => c.name === name);
  if (!cmd) throw new HarmonizerError('INVALID_ARGUMENT', `unknown command "${name}" (see harmonizer --help)`);
  const args = parseCommandArgs(cmd, rest);
  if (args === 'help') {
    console.log(helpText(cmd, subcommandOf(cmd, rest)));
    return 0;
  }
  // Not ignored: a command that said nothing and used SQLite would split the data between two stores.
  if (!cmd.postgres && loadConfig().databaseUrl !== undefined) {
    const on = commands.filter((c) => c.postgres).map((c) => c.name).join(', ');
    throw errors.invalidConfig(`RL_DATABASE_URL is set, but harmonizer ${cmd.name} works on a SQLite store only (unset RL_DATABASE_URL for it); on PostgreSQL: ${on}`);
  }
  return (await cmd.run(args)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (raw) => {
    // A full disk or a read-only data directory is a sentence, not a stack trace.
    const err = fromStorageError(raw, 'write to the data directory');
    if (isHarmonizerError(err)) console.error(`harmonizer: ${err.message}`);
    else console.error('harmonizer: unexpected error:', err);
    process.exitCode = isHarmonizerError(err) && err.code === 'INVALID_ARGUMENT' ? 2 : 1;
  },
);
