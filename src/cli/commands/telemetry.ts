import { existsSync } from 'node:fs';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { Store } from '../../store/index.js';
import { ActiveModel } from '../../ingest/active-model.js';
import { buildTelemetry } from '../../telemetry/report.js';
import { formatTelemetry } from '../../telemetry/format.js';
import type { Command } from '../command.js';

export const telemetryCommand: Command = {
  name: 'telemetry',
  summary: 'print events, sessions per arm (with a sample-ratio-mismatch test), rejects and ingest rate',
  usage: 'telemetry [--json]',
  options: { json: { type: 'boolean' } },
  optionHelp: { json: 'print the JSON report instead of tables' },
  async run({ values }) {
    const config = loadConfig();
    const paths = config.paths;
    if (!existsSync(paths.db)) throw errors.invalidArgument(`no database at ${paths.db}: start the server first (make start)`);
    const store = Store.open(paths.db);
    try {
      const report = buildTelemetry(store, { modelVersion: new ActiveModel(paths.model).get()?.version ?? null });
      console.log(values.json ? JSON.stringify(report, null, 2) : formatTelemetry(report));
    } finally {
      store.close();
    }
  },
};
