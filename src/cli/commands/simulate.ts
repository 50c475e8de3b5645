import { intOption, numberOption, type Command } from '../command.js';
import { POLICY_MODES, type PolicyMode } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import { table } from '../../telemetry/format.js';
import { ARMS, BUILT_IN_TASTES, loadTaste, runSimulation, type SimReport } from '../../sim/index.js';

function formatReport(r: SimReport): string {
  const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const out: string[] = [];
  out.push(`simulated ${r.decisions} jump decisions (taste ${r.taste.name}, seed ${r.seed}, mode ${r.mode}) in ${r.elapsed_s.toFixed(1)} s; ${r.labels} clips labeled`, '');
  out.push(
    table(
      ['arm', 'true p(good)', 'last half', 'regret', 'regret last half', 'dwell p(keep) last half', 'good labels', 'good rate (95 % Wilson)'],
      ARMS.map((a) => {
        const x = r.arms[a];
        const g = x.good_labels;
        return [a, x.true_reward, x.true_reward_last_half, x.regret, x.regret_last_half, x.dwell_true_reward_last_half, g ? `${g.good}/${g.labels}` : '–', g?.rate != null ? `${g.rate.toFixed(3)} [${g.ci95![0].toFixed(3)}, ${g.ci95![1].toFixed(3)}]` : '–'];
      }),
    ),
  );
  const h = r.arms.baseline.holdout;
  if (h) out.push('', `baseline holdout sessions: ${h.decisions} decisions, true p(good) ${h.true_reward.toFixed(3)}`);
  out.push('', `gap closed over the last half (baseline → oracle): bandit ${pct(r.gap_closed_last_half.rl)}, old logistic ranking ${pct(r.gap_closed_last_half.logistic)}`);
  out.push('', 'windows (true p(good) per tenth of the run):');
  for (const a of ARMS) out.push(`  ${a.padEnd(9)} ${r.arms[a].windows.map((w) => w.toFixed(3)).join(' ')}`);
  if (r.ope.length > 0) {
    out.push('', 'off-policy estimates of the logged decisions next to the true value:');
    out.push(table(['policy', 'kind', 'estimator', 'estimate', '95 % interval', 'true', 'covered', 'n'], r.ope.map((o) => [o.policy, o.kind, o.estimator, o.estimate, `[${o.ci_low.toFixed(3)}, ${o.ci_high.toFixed(3)}]`, o.true, o.covered ? 'yes' : 'NO', o.n])));
  }
  out.push('', `learner: active ${r.learner?.active ?? 'none (cold start)'}, ${r.learner?.published ?? 0} versions published; ${r.learner?.last_verdict ?? ''}`);
  if (r.data_dir) out.push(`data kept in ${r.data_dir} (RL_DATA_DIR=${r.data_dir} harmonizer evaluate)`);
  return out.join('\n');
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'simulated listeners with a hidden taste against a real server: does the bandit learn? (arms, regret, OPE vs truth)',
  usage: 'simulate [--decisions N] [--seed S] [--taste NAME|FILE] [--label-rate R] [--mode auto|rl|shadow|baseline] [--track ID] [--data-dir DIR] [--json]',
  options: {
    decisions: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    taste: { type: 'string', default: 'smooth' },
    'label-rate': { type: 'string', default: '0.2' },
    mode: { type: 'string', default: 'rl' },
    track: { type: 'string' },
    sessions: { type: 'string', default: '16' },
    'data-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    decisions: 'jump decisions to simulate',
    seed: 'seed of the listeners, the labeler and the session split',
    taste: `hidden taste: ${BUILT_IN_TASTES.map((t) => t.name).join(', ')}, or a JSON file {"bias", "weights", "dwell_bars"}`,
    'label-rate': 'share of the jumps rendered and labeled by the simulated labeler',
    mode: 'RL_POLICY_MODE of the simulated server',
    track: 'a registered track of the data dir (default: the generated demo track)',
    sessions: 'concurrent listening sessions',
    'data-dir': 'keep the server data here (then `harmonizer evaluate` can read it)',
    json: 'print the JSON report',
  },
  async run({ values }) {
    const decisions = intOption(values, 'decisions', 10, 10_000_000);
    const seed = intOption(values, 'seed', 0, 2 ** 31 - 1);
    const labelRate = numberOption(values, 'label-rate', 0, 1);
    const sessions = intOption(values, 'sessions', 1, 256);
    const mode = values.mode as string;
    if (!(POLICY_MODES as readonly string[]).includes(mode)) throw errors.invalidArgument(`--mode must be one of ${POLICY_MODES.join(' | ')} (got "${mode}")`);
    if (values.track !== undefined && values['data-dir'] === undefined) throw errors.invalidArgument('--track needs --data-dir: a track is registered in a data folder');
    const taste = loadTaste(values.taste as string);
    const tty = process.stderr.isTTY;
    const report = await runSimulation({
      decisions, seed, taste, labelRate, mode: mode as PolicyMode, sessions,
      ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
      ...(values.track ? { trackId: values.track as string } : {}),
      progress: (p) => {
        const line = `${p.decisions}/${p.total} decisions  ${p.elapsed_s.toFixed(0)} s  bandit p(good) ${p.rl_recent?.toFixed(3) ?? '–'}  labels ${p.labels}  active ${p.active ?? 'cold start'}`;
        if (tty) process.stderr.write(`\r\x1b[K${line}`);
        else process.stderr.write(`${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  },
};
