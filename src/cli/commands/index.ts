import type { Command } from '../command.js';
import { serveCommand, startCommand } from './serve.js';
import { telemetryCommand } from './telemetry.js';
import { replayCommand } from './replay.js';
import { trackCommand } from './track.js';
import { snippetsCommand } from './snippets.js';
import { watchCommand } from './watch.js';

/** Every CLI command, in the order `harmonizer --help` lists them. */
export const commands: readonly Command[] = [startCommand, serveCommand, watchCommand, snippetsCommand, trackCommand, telemetryCommand, replayCommand];
