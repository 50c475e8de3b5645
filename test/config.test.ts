import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/shared/config.js';

describe('config', () => {
  it('has documented defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir.endsWith('data/rl')).toBe(true);
    expect(c.policyMode).toBe('auto');
    expect(c.policyEps).toBe(0.1);
    expect(c.labelerToken).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535/],
    ['PORT', '70000', /PORT must be an integer/],
    ['RL_POLICY_MODE', 'greedy', /RL_POLICY_MODE must be one of auto \| baseline \| rl/],
    ['RL_POLICY_EPS', '1.5', /RL_POLICY_EPS must be a number from 0 to 1/],
    ['RL_POLICY_EPS', 'x', /RL_POLICY_EPS/],
    ['RL_LABELER_TOKEN', 'short', /RL_LABELER_TOKEN must be at least 8 characters/],
    ['RL_PCM_CACHE_MB', '0', /RL_PCM_CACHE_MB/],
    ['RL_HOLDOUT', '1.2', /RL_HOLDOUT must be a number from 0 to 1/],
    ['RL_REWARD_WINDOW_S', '0', /RL_REWARD_WINDOW_S must be a number from 1 to 600/],
    ['RL_BANDIT_ALGO', 'linucb', /RL_BANDIT_ALGO must be one of squarecb \| epsilon_greedy/],
    ['RL_BANDIT_FLOOR', '0.1', /RL_BANDIT_FLOOR must be a number from 0 to 0.05/],
    ['RL_BANDIT_PUBLISH_EVERY', '0', /RL_BANDIT_PUBLISH_EVERY must be an integer from 1/],
    ['RL_BANDIT_MIN_DECISIONS', '5', /RL_BANDIT_MIN_DECISIONS must be an integer from 20/],
    ['RL_RENDER_SHARE', '-1', /RL_RENDER_SHARE must be a number from 0 to 1/],
  ])('refuses %s=%s naming the variable', (name, value, msg) => {
    expect(() => loadConfig({ [name]: value })).toThrow(msg);
  });

  it('bandit defaults', () => {
    const c = loadConfig({});
    expect([c.holdout, c.rewardWindowS, c.rewardLabelWeight, c.rewardImplicitWeight, c.banditAlgorithm, c.banditFloor, c.banditGamma, c.banditPublishEvery, c.banditMinDecisions, c.renderShare]).toEqual([
      0.2, 10, 1, 1, 'squarecb', 0.01, 40, 200, 2000, 1,
    ]);
    expect(loadConfig({ RL_POLICY_MODE: 'shadow' }).policyMode).toBe('shadow');
  });

  it('RL_LABELER_TOKENS: name:token pairs, names and tokens unique, errors name the variable', () => {
    const c = loadConfig({ RL_LABELER_TOKENS: 'ann:tok-ann-1234, Bob Smith:tok-bob-5678' });
    expect([...c.labelerTokens!.entries()]).toEqual([['tok-ann-1234', 'ann'], ['tok-bob-5678', 'Bob Smith']]);
    expect(loadConfig({}).labelerTokens).toBeUndefined();
    expect(() => loadConfig({ RL_LABELER_TOKENS: 'ann:short' })).toThrow(/RL_LABELER_TOKENS \(the token of "ann"\) must be at least 8/);
    expect(() => loadConfig({ RL_LABELER_TOKENS: 'ann:tok-ann-1234,ann:tok-ann-5678' })).toThrow(/the name "ann" appears twice/);
    expect(() => loadConfig({ RL_LABELER_TOKENS: 'ann:tok-same-1234,bob:tok-same-1234' })).toThrow(/share a token/);
    expect(() => loadConfig({ RL_LABELER_TOKENS: 'tok-ann-1234' })).toThrow(/must be name:token/);
  });

  it('PostgreSQL settings: RL_DATABASE_URL must be postgres://, RL_DB_POOL bounded, RL_NODE_ID defaults to host:data dir', () => {
    const c = loadConfig({ RL_DATABASE_URL: 'postgres://u:secret@db:5432/rl', RL_DB_POOL: '4', RL_DATA_DIR: '/srv/rl' });
    expect(c).toMatchObject({ databaseUrl: 'postgres://u:secret@db:5432/rl', dbPool: 4 });
    expect(c.nodeId).toMatch(/^.+:\/srv\/rl$/);
    expect(loadConfig({ RL_NODE_ID: 'ingest-1' }).nodeId).toBe('ingest-1');
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({}).dbPool).toBe(10);
    expect(() => loadConfig({ RL_DATABASE_URL: 'mysql://x/y' })).toThrow(/RL_DATABASE_URL must be a postgres:\/\/ URL/);
    expect(() => loadConfig({ RL_DATABASE_URL: 'not a url' })).toThrow(/RL_DATABASE_URL must be a postgres:\/\/ URL/);
    expect(() => loadConfig({ RL_DB_POOL: '0' })).toThrow(/RL_DB_POOL must be an integer from 1 to 500/);
  });

  it('on PostgreSQL each node keeps its own mirror under the (possibly shared) data dir', () => {
    const pg = { RL_DATABASE_URL: 'postgres://db/rl', RL_DATA_DIR: '/srv/rl' };
    expect(loadConfig({ ...pg, RL_NODE_ID: 'ingest-1' }).paths.jsonl).toBe('/srv/rl/nodes/ingest-1/jump_events.jsonl');
    const a = loadConfig({ ...pg, RL_NODE_ID: 'host:/srv/rl' }).paths.jsonl;
    const b = loadConfig({ ...pg, RL_NODE_ID: 'host_/srv/rl' }).paths.jsonl;
    expect(a).toMatch(/^\/srv\/rl\/nodes\/host__srv_rl-[0-9a-f]{8}\/jump_events\.jsonl$/);
    expect(b).not.toBe(a); // ids that read alike as file names stay apart
    expect(loadConfig({ RL_DATA_DIR: '/srv/rl', RL_NODE_ID: 'ingest-1' }).paths.jsonl).toBe('/srv/rl/jump_events.jsonl'); // SQLite: one mirror
  });

  it('upload, storage and dead-letter limits', () => {
    const d = loadConfig({});
    expect(d).toMatchObject({ uploadMaxMinutes: 20, tracksMaxGb: 10, rejectedMaxMb: 64, uploadToken: undefined });
    expect(loadConfig({ RL_UPLOAD_MAX_MINUTES: '5', RL_TRACKS_MAX_GB: '0.5', RL_REJECTED_MAX_MB: '1', RL_UPLOAD_TOKEN: 'upload-123' })).toMatchObject({
      uploadMaxMinutes: 5, tracksMaxGb: 0.5, rejectedMaxMb: 1, uploadToken: 'upload-123',
    });
    expect(() => loadConfig({ RL_UPLOAD_MAX_MINUTES: '0' })).toThrow(/RL_UPLOAD_MAX_MINUTES must be a number/);
    expect(() => loadConfig({ RL_UPLOAD_TOKEN: 'short' })).toThrow(/RL_UPLOAD_TOKEN must be at least 8/);
  });

  it('parses valid values', () => {
    const c = loadConfig({ PORT: '0', RL_POLICY_MODE: 'rl', RL_POLICY_EPS: '0', RL_DATA_DIR: '/tmp/x', RL_LABELER_TOKEN: 'abcdefgh' });
    expect([c.port, c.policyMode, c.policyEps, c.dataDir, c.labelerToken]).toEqual([0, 'rl', 0, '/tmp/x', 'abcdefgh']);
  });
});
