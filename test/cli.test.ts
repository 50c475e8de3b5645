import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../src/shared/paths.js';
import { formatDuration } from '../src/cli/commands/track.js';
import { runCli, spawnCli, tempDir } from './support/env.js';
import { stop } from './support/proc.js';
import { writeToneWav } from './support/audio.js';

/** Issue 14 item 16: the CLI as a new user meets it. */
describe('the harmonizer CLI', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(r.stdout.trim()).toBe(`harmonizer ${version}`);
  });

  it('a subcommand\'s --help shows that subcommand, with only its options', async () => {
    const add = await runCli(['track', 'add', '--help']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^harmonizer track add: /);
    expect(add.stdout).toMatch(/usage: harmonizer track add <file>/);
    expect(add.stdout).toMatch(/--replace/);
    expect(add.stdout).not.toMatch(/track list/);
    const list = await runCli(['track', 'list', '--help']);
    expect(list.stdout).toMatch(/^harmonizer track list: /);
    expect(list.stdout).not.toMatch(/--replace/);
    const exp = await runCli(['labels', 'export', '--help']);
    expect(exp.stdout).toMatch(/^harmonizer labels export: [\s\S]*--format[\s\S]*--out/);
    const parent = await runCli(['track', '--help']);
    expect(parent.stdout).toMatch(/subcommands[\s\S]*add[\s\S]*list/);
  });

  it('track list prints every duration as m:ss.ss', async () => {
    expect(formatDuration(150)).toBe('2:30.00');
    expect(formatDuration(8.5)).toBe('0:08.50');
    expect(formatDuration(59.999)).toBe('1:00.00');
    expect(formatDuration(3725.25)).toBe('62:05.25');
    const tmp = tempDir();
    try {
      const env = { RL_DATA_DIR: tmp.dir };
      for (const [id, s] of [['short', 8.5], ['long', 75]] as const) {
        const wav = join(tmp.dir, `${id}.wav`);
        writeToneWav(wav, s, 8000);
        expect((await runCli(['track', 'add', wav], env)).code).toBe(0);
      }
      const r = await runCli(['track', 'list'], env);
      expect(r.stdout).toMatch(/short .* 0:08\.50 /);
      expect(r.stdout).toMatch(/long .* 1:15\.00 /);
    } finally {
      tmp.cleanup();
    }
  }, 30_000);

  it('serve warns when uploads are open to the network, not on loopback or with RL_UPLOAD_TOKEN', async () => {
    const tmp = tempDir();
    try {
      const run = async (env: Record<string, string>) => {
        const s = await spawnCli(['serve'], { RL_DATA_DIR: tmp.dir, PORT: '0', ...env }, /dashboard: \S+\n(warning: [^\n]*\n)?/);
        await new Promise((r) => setTimeout(r, 100));
        await stop(s.child);
        return s.output();
      };
      expect(await run({ HOST: '0.0.0.0' })).toMatch(/warning: anyone who can reach 0\.0\.0\.0:\d+ may upload tracks; set RL_UPLOAD_TOKEN/);
      expect(await run({ HOST: '127.0.0.1' })).not.toMatch(/warning/);
      expect(await run({ HOST: '0.0.0.0', RL_UPLOAD_TOKEN: 'upload-123' })).not.toMatch(/warning/);
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it('make build does nothing when nothing changed (make rl-* do not recompile)', () => {
    // `make test` has just built: -q exits 0 only when the target is up to date, and runs nothing
    // (a rebuild here would rewrite dist/ under the other test files).
    expect(spawnSync('make', ['-n', 'build'], { cwd: projectRoot }).stdout.toString()).not.toMatch(/tsc/);
    expect(spawnSync('make', ['-q', 'build'], { cwd: projectRoot }).status).toBe(0);
  }, 120_000);
});
