import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import type { PolicyRow, StoreApi } from '../../store/index.js';
import { withStore } from '../store.js';
import { validateBanditPolicy } from '../../bandit/index.js';
import { banditTarget, baselineTarget, evaluatePolicies, loadEvaluationLog, requireDecisions, uniformTarget, type TargetPolicy } from '../../learn/index.js';
import { table } from '../../telemetry/format.js';
import { intOption, type Command } from '../command.js';

const NAMED = ['active', 'candidate', 'baseline', 'uniform'] as const;

function parseSince(raw: string): number {
  const rel = /^(\d+)([smhd])$/.exec(raw);
  if (rel) return Date.now() - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) throw errors.invalidArgument(`--since must be an ISO time or a duration like 24h, 7d (got "${raw}")`);
  return t;
}

/**
 * The active policy: policy.json on SQLite (what this server serves); on PostgreSQL the store's active
 * row (the elected learner writes policy.json on its own machine only; every node serves the row).
 */
async function activeJson(store: StoreApi, policyPath: string): Promise<string | null> {
  if (store.kind === 'postgres') return ((await store.bandit.activePolicy()) as PolicyRow | undefined)?.policy_json ?? null;
  return existsSync(policyPath) ? readFileSync(policyPath, 'utf8') : null;
}

async function targetOf(name: string, store: StoreApi, policyPath: string): Promise<TargetPolicy> {
  if (name === 'baseline') return baselineTarget;
  if (name === 'uniform') return uniformTarget;
  if (name === 'active') {
    const raw = await activeJson(store, policyPath);
    if (raw === null) throw errors.invalidArgument('no active bandit policy yet (the cold start is uniform: evaluate --policy uniform)');
    return banditTarget('active', validateBanditPolicy(JSON.parse(raw)));
  }
  if (name === 'candidate') {
    const c = await store.bandit.latestCandidate();
    if (!c) throw errors.invalidArgument('no candidate policy: every published version was promoted, or none was published yet');
    return banditTarget('candidate', validateBanditPolicy(JSON.parse(c.policy_json)));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(name, 'utf8'));
  } catch (err) {
    throw errors.invalidArgument(`--policy ${name}: not one of ${NAMED.join(' | ')} and not a readable JSON policy file (${(err as Error).message})`);
  }
  return banditTarget(name, validateBanditPolicy(raw));
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  postgres: true,
  summary: 'off-policy evaluation of bandit policies on the logged decisions (IPS, SNIPS, DM, DR with 95 % bootstrap intervals)',
  usage: 'evaluate [--policy active|candidate|baseline|uniform|FILE]... [--since T] [--seed N] [--json]',
  options: {
    policy: { type: 'string', multiple: true },
    since: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    policy: 'policy to evaluate (repeatable; default: active (when there is one), candidate (when there is one), baseline, uniform)',
    since: 'only decisions received since then: ISO time, or 30m / 24h / 7d ago',
    seed: 'bootstrap seed',
    json: 'print JSON (for the dashboard)',
  },
  async run({ values }) {
    const config = loadConfig();
    const paths = config.paths;
    const seed = intOption(values, 'seed', 0, 2 ** 31 - 1);
    await withStore(config, async (store) => {
      const requested = (values.policy as unknown as string[] | undefined) ?? null;
      const names = requested ?? [
        ...((await activeJson(store, paths.policy)) !== null ? ['active'] : []),
        ...((await store.bandit.latestCandidate()) ? ['candidate'] : []),
        'baseline',
        'uniform',
      ];
      const targets: TargetPolicy[] = [];
      for (const n of names) targets.push(await targetOf(n, store, paths.policy));
      const log = await loadEvaluationLog(store, { limit: 1_000_000, ...(values.since ? { sinceMs: parseSince(values.since as string) } : {}) });
      requireDecisions(log);
      const evals = evaluatePolicies(log, targets, { seed });
      const observed = { n: log.length, mean: log.reduce((s, e) => s + e.reward, 0) / log.length };
      if (values.json) {
        console.log(JSON.stringify({ generated_at: new Date().toISOString(), logged: observed, evaluations: evals }, null, 2));
        return;
      }
      console.log(`off-policy evaluation on ${log.length} logged decisions with a reward (observed mean reward ${observed.mean.toFixed(4)})\n`);
      const rows: (string | number)[][] = [];
      for (const e of evals) {
        const label = e.version ? `${e.policy} ${e.version}` : e.policy;
        if (e.refused) {
          rows.push([label, e.kind, 'refused', '–', e.refused, '–', '–', e.n, e.unsupported]);
          continue;
        }
        for (const est of e.estimates) {
          rows.push([label, e.kind, est.estimator, Number(est.estimate.toFixed(4)), `[${est.ci_low.toFixed(4)}, ${est.ci_high.toFixed(4)}]`, Number(e.diagnostics!.ess.toFixed(1)), Number(e.diagnostics!.max_weight.toFixed(2)), e.n, e.unsupported]);
        }
      }
      console.log(table(['policy', 'kind', 'estimator', 'estimate', '95 % bootstrap interval', 'ESS', 'max weight', 'n', 'no support'], rows));
      const clipped = evals.filter((e) => e.diagnostics && e.diagnostics.clipped_share > 0);
      if (clipped.length > 0) console.log(`\nweights clipped at 100 in ${clipped.map((e) => `${e.policy}/${e.kind} ${(100 * e.diagnostics!.clipped_share).toFixed(2)} %`).join(', ')} (clipping biases the estimate down)`);
      const obsRows = evals.filter((e) => e.observed_mean !== null && e.policy === evals[0]!.policy).map((e) => [e.kind, e.n, Number(e.observed_mean!.toFixed(4))]);
      console.log(`\nthe logged policy's observed mean reward, per kind:\n${table(['kind', 'decisions', 'observed mean'], obsRows)}`);
    }, { readonly: true, mustExist: true });
  },
};
