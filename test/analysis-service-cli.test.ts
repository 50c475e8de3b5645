import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCommand, runAnalyze } from '../src/cli/commands/analyze.js';
import { parseCommandArgs } from '../src/cli/command.js';
import { registerTrackBytes } from '../src/tracks/index.js';
import { encodeWav } from '../src/render/index.js';
import { drumTrack } from '../src/demo/fixtures.js';
import { openStore } from '../src/store/index.js';
import { dataPaths, type Config } from '../src/shared/config.js';
import { tempDir, testConfig } from './support/env.js';
import { ensureCompiled } from './support/compiled.js';
import { ANALYSIS_VERSION } from '../src/analysis/index.js';


const DRUMS = (() => {
  const t = drumTrack(100, 20, 22050);
  return encodeWav([t.channels[0]!], t.sampleRate);
})();

describe('harmonizer analyze (in-process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  const run = async (target: string, opts: Omit<Parameters<typeof runAnalyze>[0], 'target'> = {}) => {
    const lines: string[] = [];
    const outcome = await runAnalyze({ target, ...opts }, config, (l) => lines.push(l));
    return { outcome, out: lines.join('\n') };
  };

  beforeAll(() => ensureCompiled('analysis'));
  beforeEach(async () => {
    tmp = tempDir();
    config = testConfig(tmp.dir);
    const store = await openStore(config);
    try {
      await registerTrackBytes(store, dataPaths(config).tracks, DRUMS, { id: 'drums', title: 'Drums 100', ext: '.wav' });
    } finally {
      await store.close();
    }
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    tmp.cleanup();
  });

  it('summarizes a registered track (tempo, meter, beats, sections, jumps, last branch, stage table), then from the cache', async () => {
    const first = await run('drums');
    expect(first.outcome.cached).toBe(false);
    expect(first.out).toMatch(/^track drums \(Drums 100\): 20\.00 s at 22050 Hz/);
    expect(first.out).toMatch(/computed \(decode \d+ ms\)/);
    expect(first.out).toMatch(/tempo: (99|100|101)\.\d\d BPM \(confidence [\d.]+\), meter [34]/);
    expect(first.out).toMatch(/beats: \d+/);
    expect(first.out).toMatch(/sections: \d+ \([A-Z ]+\)/);
    expect(first.out).toMatch(/jumps: \d+ candidates.* from \d+ beats \([\d.]+ %\), threshold [\d.]+ \(auto\), at most 4 per beat/);
    expect(first.out).toMatch(/last branch beat: (none|\d+ at [\d.]+ s)/);
    expect(first.out).toMatch(/stage\s+ms\n-+\s+-+\nresample\s+[\d.]+\n/);
    expect(first.out).toMatch(/\ntotal\s+[\d.]+$/);
    const second = await run('drums');
    expect(second.outcome.cached).toBe(true);
    expect(second.out).toMatch(/from the cache/);
  });

  it('analyzes a file path; options are passed and not cached; --json prints the analysis', async () => {
    const file = join(tmp.dir, 'loop.wav');
    writeFileSync(file, DRUMS.subarray(0)); // same content as the registered track: same cache entry
    const r = await run(file, { options: { threshold: 0.5, maxCandidates: 2 } });
    expect(r.outcome.cached).toBe(false);
    expect(r.out).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 20\\.00 s`));
    expect(r.out).toMatch(/threshold 0\.500 \(fixed\), at most 2 per beat/);
    expect(existsSync(join(tmp.dir, 'analysis'))).toBe(false);

    vi.stubEnv('RL_DATA_DIR', tmp.dir);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const args = parseCommandArgs(analyzeCommand, ['drums', '--json', '--k', '3']);
    if (args === 'help') throw new Error('unexpected help');
    await analyzeCommand.run(args);
    expect(log).toHaveBeenCalledTimes(1);
    const json = JSON.parse(String(log.mock.calls[0]![0]));
    expect(json).toMatchObject({ version: ANALYSIS_VERSION, status: 'ok' });
    expect(json.candidates.every((l: { forced: boolean }[]) => l.filter((c) => !c.forced).length <= 3)).toBe(true);
  });

  it('unknown ids, directories and bad options are INVALID_ARGUMENT (exit 2) with a clear message', async () => {
    await expect(run('nope')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/"nope" is neither a registered track id nor a file/) });
    mkdirSync(join(tmp.dir, 'folder'));
    await expect(run(join(tmp.dir, 'folder'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/is not a file/) });
    const text = join(tmp.dir, 'notes.txt');
    writeFileSync(text, 'not audio');
    await expect(run(text)).rejects.toMatchObject({ code: 'DECODE_FAILED' });

    vi.stubEnv('RL_DATA_DIR', tmp.dir);
    const call = (argv: string[]) => {
      const args = parseCommandArgs(analyzeCommand, argv);
      if (args === 'help') throw new Error('unexpected help');
      return analyzeCommand.run(args);
    };
    await expect(call(['drums', '--k', 'many'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/--k must be an integer from 0 to 32/) });
    await expect(call(['drums', '--threshold', '0'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/--threshold must be a number > 0/) });
    await expect(call([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/usage: harmonizer analyze/) });
    expect(() => parseCommandArgs(analyzeCommand, ['drums', '--frobnicate'])).toThrow(/frobnicate/);
  });
});
