import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/shared/config.js';
import { projectRoot } from '../../src/shared/paths.js';

/** A fresh temp data dir per test; removed by the returned cleanup. */
export function tempDir(prefix = 'harmonizer-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config on an ephemeral port with its own data dir. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', RL_DATA_DIR: dataDir, ...env });
}

/** A valid beacon event with a random (v4) id, as browsers make them. */
export function makeEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    session_id: 'session-1',
    track_id: 'demo',
    mode: 'jukebox',
    source_index: 10,
    target_index: 42,
    source_time: 5.25,
    target_time: 21.0,
    similarity: 0.87,
    span: 32,
    same_section: false,
    policy_mode: 'baseline',
    propensity: 0.5,
    candidates: [{ target_index: 42, similarity: 0.87 }],
    settings: { crossfade_ms: 30 },
    context: { bar_position_match: 1 },
    client_ts: 1_700_000_000_000,
    ...over,
  };
}

export const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** Starts `harmonizer <args>` as a child process and resolves once its stdout matches `ready`. */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`harmonizer ${args.join(' ')} exited ${code} before ready:\n${out}`)));
  });
}

/** Resolves with the exit code (or signal) of a child. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code: code ?? -1, stdout, stderr })));
}
