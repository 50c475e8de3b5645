import type { Command } from '../command.js';
import { serveCommand, startCommand } from './serve.js';
import { telemetryCommand } from './telemetry.js';
import { replayCommand } from './replay.js';
import { trackCommand } from './track.js';
import { snippetsCommand } from './snippets.js';
import { watchCommand } from './watch.js';
import { trainCommand } from './train.js';
import { labelsCommand } from './labels.js';
import { analyzeCommand } from './analyze.js';
import { simulateCommand } from './simulate.js';
import { evaluateCommand } from './evaluate.js';
import { banditCommand } from './bandit.js';
import { dbCommand } from './db.js';

/** Every CLI command, in the order `harmonizer --help` lists them. */
export const commands: readonly Command[] = [startCommand, serveCommand, watchCommand, snippetsCommand, trackCommand, analyzeCommand, labelsCommand, trainCommand, banditCommand, evaluateCommand, simulateCommand, telemetryCommand, replayCommand, dbCommand];
