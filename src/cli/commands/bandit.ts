import { mkdirSync, rmSync } from 'node:fs';
import type { StoreApi } from '../../store/index.js';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { PgLeaderLock, LEARNER_LOCK } from '../../store/pg/leader.js';
import { withStore } from '../store.js';
import { explorationOf, LearnerLoop, rulesFromConfig, runningLearner } from '../../learn/index.js';
import { joinRewards } from '../../learn/join.js';
import type { Command } from '../command.js';

/**
 * `harmonizer bandit replay`: rebuilds the policy versions from the stored decisions and rewards.
 * The reward log is replayed in seq order through the same learner, so the same log gives the same
 * versions (the command says whether they match the recorded ones). `--rejoin` first recomputes every
 * reward from the events, signals and labels (the join is idempotent). The last version goes through
 * the promotion gate.
 */
export const banditCommand: Command = {
  name: 'bandit',
  postgres: true,
  summary: 'bandit tools: `bandit replay [--rejoin]` rebuilds the policy versions from the stored decisions and rewards',
  usage: 'bandit replay [--rejoin] [--json]',
  allowPositionals: true,
  options: { rejoin: { type: 'boolean' }, json: { type: 'boolean' } },
  optionHelp: { rejoin: 'recompute every reward from the logged events, signals and labels first', json: 'print the result as JSON' },
  subcommands: [{ name: 'replay', summary: 'rebuild the policy versions from the stored decisions and rewards', usage: 'bandit replay [--rejoin] [--json]', options: ['rejoin', 'json'] }],
  async run({ values, positionals }) {
    if (positionals[0] !== 'replay' || positionals.length !== 1) throw errors.invalidArgument('usage: harmonizer bandit replay [--rejoin] [--json]');
    const config = loadConfig();
    const paths = config.paths;
    const pid = config.databaseUrl ? null : runningLearner(paths.learnerPid);
    if (pid !== null) throw errors.invalidArgument(`a server's learner is running on this data dir (pid ${pid}): stop it first, replay rewrites its reward log`);
    // On PostgreSQL the learner may run on any node: replay holds the learner's lock, so no node learns meanwhile.
    const lock = config.databaseUrl ? new PgLeaderLock(config.databaseUrl, LEARNER_LOCK, 'harmonizer-replay') : null;
    try {
      if (lock && !(await lock.tryAcquire())) throw errors.invalidArgument('a learner is running on this database (a node holds the learner lock): stop the servers first, replay rewrites its reward log');
      await withStore(config, (store) => replay(store), { mustExist: true });
    } finally {
      await lock?.close();
    }

    async function replay(store: StoreApi): Promise<void> {
      const rows = await store.bandit.policies(1_000_000);
      const recorded = new Map(rows.map((p) => [p.version, p.status]));
      // Publish at the boundaries the recorded versions used (RL_BANDIT_PUBLISH_EVERY when they were made).
      const every = rows.length > 0 ? ((JSON.parse(rows[0]!.policy_json) as { data?: { publish_every?: number } }).data?.publish_every ?? config.banditPublishEvery) : config.banditPublishEvery;
      const rules = rulesFromConfig(config);
      await store.bandit.reset({ rewards: values.rejoin === true });
      if (values.rejoin) while ((await joinRewards(store, rules, Date.now())).more);
      rmSync(paths.policy, { force: true });
      // On PostgreSQL this machine may have no data dir yet: a promoted version is written to its policy.json too.
      mkdirSync(config.dataDir, { recursive: true });
      const versions: { version: string; reason: string; promoted: boolean }[] = [];
      const loop = new LearnerLoop(store, {
        policyPath: paths.policy, rules, exploration: explorationOf(config), gammaScale: config.banditGamma, publishEvery: every, minDecisions: config.banditMinDecisions, gate: false,
        onPublish: (p, reason, promoted) => versions.push({ version: p.version, reason, promoted }),
      });
      while (await loop.pass());
      // The rewards after the last boundary make a final version; it alone goes through the gate
      // (against the baseline, with the rewards known now).
      if (loop.learner.applied > 0) {
        const final = loop.learner.applied % every === 0 ? loop.learner.snapshot(new Date().toISOString()) : await loop.publishNow();
        const promoted = await loop.gate(final);
        versions[versions.length - 1] = { version: final.version, reason: (await loop.status()).last_verdict ?? '', promoted };
      }
      const same = versions.filter((v) => recorded.has(v.version)).length;
      const result = { entries: loop.learner.applied, versions: versions.length, matching_recorded: same, recorded: recorded.size, final: versions[versions.length - 1] ?? null };
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`replayed ${result.entries} reward-log entries: ${result.versions} policy versions (${same} of them identical to the ${recorded.size} recorded)`);
        if (result.final) console.log(`final ${result.final.version}: ${result.final.reason}`);
        if (!result.final?.promoted) console.log('no version is active now: the server serves the uniform cold-start policy until the learner promotes one');
      }
    }
  },
};
