import type { Command } from '../command.js';
import { serveCommand } from './serve.js';
import { telemetryCommand } from './telemetry.js';
import { replayCommand } from './replay.js';

/** Every CLI command, in the order `harmonizer --help` lists them. */
export const commands: readonly Command[] = [serveCommand, telemetryCommand, replayCommand];
