import { existsSync } from 'node:fs';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { Store } from '../../store/index.js';
import { replayMirror } from '../../ingest/recovery.js';
import type { Command } from '../command.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'rebuild the jump_events table from the JSONL mirror (one transaction)',
  usage: 'replay [--missing-only]',
  options: { 'missing-only': { type: 'boolean' } },
  optionHelp: { 'missing-only': 'only insert events missing from SQLite (what start-up recovery does)' },
  async run({ values }) {
    const paths = loadConfig().paths;
    if (!existsSync(paths.jsonl)) throw errors.invalidArgument(`no JSONL mirror at ${paths.jsonl}`);
    const store = Store.open(paths.db);
    try {
      const t0 = performance.now();
      const r = replayMirror(store, paths.jsonl, { rebuild: !values['missing-only'] });
      // A rebuild renumbers jump_events: the reward join reads them again from the start (decisions
      // with a reward row are skipped, so nothing is counted twice).
      if (!values['missing-only']) store.bandit.setJoinCursor(0);
      console.log(
        `replayed ${r.lines} lines: ${r.inserted} inserted, ${r.present} already present, ${r.invalid} unreadable (${(performance.now() - t0).toFixed(0)} ms)`,
      );
    } finally {
      store.close();
    }
  },
};
