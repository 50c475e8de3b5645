import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { LearnerService, runningLearner } from '../src/learn/index.js';
import { Store } from '../src/store/index.js';
import type { JumpEvent } from '../src/shared/jump-event.js';
import { runCli, tempDir, testConfig } from './support/env.js';

/** The learner thread as the server runs it (compiled worker, real SQLite file). */
describe('the learner thread', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('keeps learning under a steady stream of pokes, and holds the pid file while it runs', async () => {
    const config = testConfig(tmp.dir, { RL_REWARD_SETTLE_S: '0' });
    const store = Store.open(config.paths.db);
    const events: JumpEvent[] = Array.from({ length: 40 }, (_, i) => ({
      event_id: `e${i}`, session_id: 's', track_id: 'demo', track_title: null, mode: 'jukebox', source_index: 1, target_index: 10,
      source_time: 0, target_time: 1, similarity: null, span: null, same_section: null, policy_mode: 'rl', model_version: 'cold-start', quality_score: null, propensity: 0.5,
      candidates: [{ target_index: 10, features: { similarity: 0.9 }, probability: 0.5, chosen: true }, { target_index: 20, features: { similarity: 0.8 }, probability: 0.5, chosen: false }],
      settings: null, context: {}, client_ts: 1000 + i * 3000, received_at: Date.now(),
    }));
    store.events.insertMany(events);
    store.close();
    const svc = await LearnerService.start(config, { tickMs: 250 });
    try {
      expect(runningLearner(config.paths.learnerPid)).toBeNull(); // this very process: not "another" learner
      // A poke every 5 ms (a busy listener endpoint) must not keep pushing the pass away.
      const flood = setInterval(() => svc.poke(), 5);
      try {
        const t0 = Date.now();
        while ((svc.status().status?.applied ?? 0) < 39 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      } finally {
        clearInterval(flood);
      }
      expect(svc.status().status?.applied).toBe(39); // every decision but the session's last has its reward
      expect(existsSync(config.paths.learnerPid)).toBe(true);
    } finally {
      await svc.close();
    }
    expect(existsSync(config.paths.learnerPid)).toBe(false);
  }, 20_000);

  it('bandit replay refuses while another process runs the learner on the data dir', async () => {
    const config = testConfig(tmp.dir);
    Store.open(config.paths.db).close();
    writeFileSync(config.paths.learnerPid, `${process.pid}\n`); // this test process is alive
    const r = await runCli(['bandit', 'replay'], { RL_DATA_DIR: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`a server's learner is running on this data dir \\(pid ${process.pid}\\): stop it first`));
    writeFileSync(config.paths.learnerPid, '999999999\n'); // a dead pid is a stale file: replay runs
    const ok = await runCli(['bandit', 'replay'], { RL_DATA_DIR: tmp.dir });
    expect(ok.code, ok.stderr).toBe(0);
  });
});
