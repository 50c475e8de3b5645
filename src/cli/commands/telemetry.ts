import { loadConfig } from '../../shared/config.js';
import { withStore } from '../store.js';
import { ActiveModel } from '../../ingest/active-model.js';
import { buildTelemetry } from '../../telemetry/report.js';
import { formatTelemetry } from '../../telemetry/format.js';
import type { Command } from '../command.js';

export const telemetryCommand: Command = {
  name: 'telemetry',
  postgres: true,
  summary: 'print events, sessions per arm (with a sample-ratio-mismatch test), rejects and ingest rate',
  usage: 'telemetry [--json]',
  options: { json: { type: 'boolean' } },
  optionHelp: { json: 'print the JSON report instead of tables' },
  async run({ values }) {
    const config = loadConfig();
    const paths = config.paths;
    await withStore(
      config,
      async (store) => {
        const report = await buildTelemetry(store, { modelVersion: new ActiveModel(paths.model).get()?.version ?? null });
        console.log(values.json ? JSON.stringify(report, null, 2) : formatTelemetry(report));
      },
      { mustExist: true },
    );
  },
};
