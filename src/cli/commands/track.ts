import { existsSync } from 'node:fs';
import { loadConfig } from '../../shared/config.js';
import { withStore } from '../store.js';
import { errors } from '../../shared/errors.js';
import { registerTrack } from '../../tracks/register.js';
import { table } from '../../telemetry/format.js';
import type { Command } from '../command.js';

/** m:ss.ss, the same width for every track (150 -> "2:30.00", 8 -> "0:08.00"). */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds * 100) / 100; // rounded first: 59.999 is 1:00.00, not 0:60.00
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, '0')}`;
}

export const trackCommand: Command = {
  name: 'track',
  summary: 'register an audio file as a track (track add FILE) or list the tracks (track list)',
  usage: 'track add <file> [--id ID] [--title TITLE] [--replace] | track list',
  options: { id: { type: 'string' }, title: { type: 'string' }, replace: { type: 'boolean' } },
  optionHelp: { id: 'track id (default: from the file name)', title: 'title (default: the file name)', replace: 'replace a track already registered under this id' },
  allowPositionals: true,
  postgres: true,
  subcommands: [
    { name: 'add', summary: 'register an audio file as a track (decoded once to probe it)', usage: 'track add <file> [--id ID] [--title TITLE] [--replace]', options: ['id', 'title', 'replace'] },
    { name: 'list', summary: 'list the registered tracks', usage: 'track list' },
  ],
  async run({ values, positionals }) {
    const [sub, file, ...extra] = positionals;
    const config = loadConfig();
    const paths = config.paths;
    if (sub === 'list' && !file) {
      // No SQLite file yet: nothing registered (and nothing created by listing).
      if (!config.databaseUrl && !existsSync(paths.db)) {
        console.log('no tracks');
        return;
      }
      const rows = await withStore(config, (store) => store.tracks.list());
      console.log(rows.length === 0 ? 'no tracks' : table(
        ['id', 'title', 'duration', 'rate', 'ch', 'sha256'],
        rows.map((t) => [t.track_id, t.title, formatDuration(t.duration), t.sample_rate, t.channels, t.sha256.slice(0, 12)]),
      ));
      return;
    }
    if (sub !== 'add' || !file || extra.length > 0) throw errors.invalidArgument('usage: harmonizer track add <file> [--id ID] [--title T] [--replace] | harmonizer track list');
    if (!existsSync(file)) throw errors.invalidArgument(`no such file: ${file}`);
    const t = await withStore(config, (store) =>
      registerTrack(store, paths.tracks, file, {
        ...(typeof values.id === 'string' ? { id: values.id } : {}),
        ...(typeof values.title === 'string' ? { title: values.title } : {}),
        replace: values.replace === true,
      }),
    );
    console.log(`registered track "${t.track_id}" (${t.title}): ${formatDuration(t.duration)}, ${t.sample_rate} Hz, ${t.channels} ch, sha256 ${t.sha256.slice(0, 12)}`);
  },
};
