import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store, sqliteApi } from '../src/store/index.js';
import { seedClips } from '../src/labeler/fixtures.js';
import { labelsCommand, csvField, EXPORT_COLUMNS } from '../src/cli/commands/labels.js';
import { parseCommandArgs } from '../src/cli/command.js';
import { tempDir } from './support/env.js';

describe('harmonizer labels export', () => {
  let tmp: ReturnType<typeof tempDir>;
  const saved = process.env.RL_DATA_DIR;
  const run = (argv: string[]) => {
    const args = parseCommandArgs(labelsCommand, argv);
    if (args === 'help') throw new Error('help');
    return labelsCommand.run(args);
  };

  beforeEach(async () => {
    tmp = tempDir();
    process.env.RL_DATA_DIR = tmp.dir;
    const store = Store.open(join(tmp.dir, 'rl.sqlite3'));
    await seedClips(sqliteApi(store, 'labels'), join(tmp.dir, 'snippets'), [{ event_id: 'e1', policy_mode: 'rl', model_version: 'm-1' }, { event_id: 'e2' }]);
    store.labels.upsert({ event_id: 'e1', labeler: 'ann', label: 'good', notes: 'nice, "smooth"\nsecond line', time_spent_ms: 1234, now: 1_700_000_000_000 });
    store.labels.upsert({ event_id: 'e2', labeler: 'bob', label: 'bad', time_spent_ms: null, now: 1_700_000_001_000 });
    store.close();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RL_DATA_DIR;
    else process.env.RL_DATA_DIR = saved;
    tmp.cleanup();
  });

  it('jsonl: one object per label with its event fields', async () => {
    const out = join(tmp.dir, 'labels.jsonl');
    await run(['export', '--format', 'jsonl', '--out', out]);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(Object.keys(lines[0])).toEqual([...EXPORT_COLUMNS]);
    expect(lines[0]).toMatchObject({
      event_id: 'e1', labeler: 'ann', label: 'good', notes: 'nice, "smooth"\nsecond line', time_spent_ms: 1234,
      created_at: '2023-11-14T22:13:20.000Z', track_id: 'track-a', policy_mode: 'rl', model_version: 'm-1', similarity: 0.8,
    });
    expect(lines[1]).toMatchObject({ event_id: 'e2', labeler: 'bob', label: 'bad', notes: null, time_spent_ms: null });
  });

  it('csv: header, RFC 4180 quoting of notes', async () => {
    const out = join(tmp.dir, 'labels.csv');
    await run(['export', '--format', 'csv', '--out', out]);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith(EXPORT_COLUMNS.join(',') + '\r\n')).toBe(true);
    expect(text).toContain('e1,ann,good,"nice, ""smooth""\nsecond line",1234,2023-11-14T22:13:20.000Z');
    expect(text.trimEnd().split('\r\n')).toHaveLength(3);
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
  });

  it('CSV: a text that a spreadsheet would run as a formula is escaped; numbers are not', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('+1 sounds fine')).toBe('"\'+1 sounds fine"');
    expect(csvField('-2+3')).toBe('"\'-2+3"');
    expect(csvField('@SUM(A1)')).toBe('"\'@SUM(A1)"');
    expect(csvField('\tcmd')).toBe('"\'\tcmd"');
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('a = b')).toBe('a = b');
  });

  it('refuses an unknown format, a missing subcommand and an unwritable --out', async () => {
    await expect(run(['export', '--format', 'xml'])).rejects.toThrow(/--format must be jsonl \| csv/);
    await expect(run([])).rejects.toThrow(/subcommand "export"/);
    await expect(run(['export', '--out', join(tmp.dir, 'no', 'such', 'dir', 'x.csv')])).rejects.toThrow(/cannot write/);
  });
});
