/**
 * `harmonizer simulate`: simulated listeners with a hidden taste against a real server in its own data
 * folder (ingest, render watcher, labeler API, learner thread), sessions stepping in simulated time, a
 * simulated labeler, and at the end the true value of every arm next to the off-policy estimates of
 * the logged decisions. Only the listener and the labeler are simulated; the policy, learner and
 * evaluation are the modules the product runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisResult } from '../analysis/types.js';
import { startSystem } from '../app/system.js';
import { DWELL_BARS, validateBanditPolicy } from '../bandit/index.js';
import { banditTarget, baselineTarget, evaluatePolicies, loadEvaluationLog, uniformTarget, type TargetPolicy } from '../learn/index.js';
import type { LearnerStatus } from '../learn/messages.js';
import { scoreCandidates } from '../policy/scoring.js';
import type { ModelJson } from '../policy/model.js';
import { PLAYER_SCORING } from '../player/settings.js';
import { loadConfig, type PolicyMode } from '../shared/config.js';
import { mulberry32 } from '../shared/prng.js';
import { openStore, type StoreApi } from '../store/index.js';
import { trainModel } from '../train/index.js';
import { SimLabeler } from './labeler.js';
import { gapClosed, goodLabels, summarize, type ArmReport, type ScoredDecision, type SimArm } from './report.js';
import { SimSession, type SimDecision } from './session.js';
import { pKeepOf, type Taste } from './taste.js';

export interface SimOptions {
  decisions: number;
  seed: number;
  taste: Taste;
  labelRate: number;
  mode: PolicyMode;
  /** Keep the server's data here (default: a temp folder, removed afterwards). */
  dataDir?: string;
  /** Track to play (default: the generated demo track). */
  trackId?: string;
  /** Concurrent sessions. Default 16. */
  sessions?: number;
  /** Jump decisions per session before its listener leaves. Default 150. */
  perSession?: number;
  /** Extra configuration variables (RL_BANDIT_*, ...) over the process environment. */
  env?: Record<string, string>;
  progress?: (p: SimProgress) => void;
}

export interface SimProgress {
  decisions: number;
  total: number;
  elapsed_s: number;
  active: string | null;
  /** Bandit's mean true p(good) over the last window. */
  rl_recent: number | null;
  labels: number;
}

export interface OpeRow {
  policy: string;
  version: string | null;
  kind: string;
  estimator: string;
  estimate: number;
  ci_low: number;
  ci_high: number;
  true: number;
  covered: boolean;
  n: number;
}

export interface SimReport {
  taste: Taste;
  seed: number;
  mode: PolicyMode;
  decisions: number;
  /** Jump decisions the arm comparison scored (the bandit's sessions; all sessions without any). */
  scored_decisions: number;
  arms: Record<SimArm, ArmReport & { holdout?: { decisions: number; true_reward: number; good_labels: ArmReport['good_labels'] } }>;
  /** Share of the baseline → oracle gap closed over the last half. */
  gap_closed_last_half: { rl: number | null; logistic: number | null };
  ope: OpeRow[];
  learner: LearnerStatus | null;
  labels: number;
  elapsed_s: number;
  data_dir: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A v4-shaped id from the seeded source (the render share and the folds hash it: reproducible per seed). */
function idMaker(rand: () => number): () => string {
  const hex = () => Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return () => {
    const h = hex() + hex() + hex() + hex();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

const dot = (p: readonly number[], v: readonly number[]) => p.reduce((s, q, i) => s + q * v[i], 0);

export async function runSimulation(o: SimOptions): Promise<SimReport> {
  const t0 = Date.now();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'harmonizer-sim-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    RL_DATA_DIR: dataDir,
    RL_POLICY_MODE: o.mode,
    RL_RENDER_SHARE: String(o.labelRate),
    RL_LABELER_TOKEN: 'simulated-labeler-token',
    RL_BANDIT_PUBLISH_EVERY: process.env.RL_BANDIT_PUBLISH_EVERY ?? '400',
    // The simulated sessions post a jump's signals before the events that follow it (a browser's two
    // beacon channels may take their interval each, hence the default of 20 s).
    RL_REWARD_SETTLE_S: process.env.RL_REWARD_SETTLE_S ?? '1',
    ...o.env,
  };
  const config = loadConfig(env);
  const rand = mulberry32(o.seed);
  const newId = idMaker(mulberry32(o.seed ^ 0x5bd1e995));
  const system = await startSystem(config, { demoTrack: o.trackId === undefined, watcher: { pre: 0.5, post: 0.5, log: () => {} }, rand: mulberry32(o.seed + 17) });
  const base = system.server.url;
  const readStore = await openStore(config, { readonly: true });
  const records = new Map<string, SimDecision>();
  const scored: ScoredDecision[] = [];
  /** The session arm of each scored decision (same order). */
  const scoredArm: string[] = [];
  const holdout: SimDecision[] = [];
  let logistic: ModelJson | null = null;
  const keep = DWELL_BARS.map((b) => pKeepOf(o.taste, b));
  let labeler: SimLabeler | null = null;
  try {
    const trackId = o.trackId ?? 'demo';
    const ar = await fetch(`${base}/api/tracks/${encodeURIComponent(trackId)}/analysis`);
    if (ar.status !== 200) throw new Error(`analysis of track ${trackId}: HTTP ${ar.status} ${await ar.text()}`);
    const analysis = (await ar.json()) as AnalysisResult;
    if (analysis.status !== 'ok' || analysis.candidates.every((c) => c.length === 0)) throw new Error(`track ${trackId} has no jump candidates to decide between`);

    labeler = new SimLabeler({ base, token: 'simulated-labeler-token', name: 'simulated labeler', truth: (id) => { const r = records.get(id); return r ? r.p[r.chosen] : undefined; }, rand: mulberry32(o.seed + 3) });
    labeler.start();

    let anyRl = false;
    const onDecision = (d: SimDecision) => {
      records.set(d.event_id, d);
      if (d.arm === 'rl') anyRl = true;
      if (d.arm === 'baseline' && o.mode === 'auto') holdout.push(d);
      const acting = d.arm === 'rl' ? d.probabilities : d.shadowProbabilities;
      const dwellActing = d.arm === 'rl' ? d.dwellProbabilities : d.shadowDwellProbabilities;
      const logProbs = logistic ? scoreCandidates(logistic, d.features, PLAYER_SCORING).map((s) => s.probability) : null;
      scoredArm.push(d.arm);
      scored.push({
        jump: { baseline: d.p[d.baselineIndex]!, rl: acting ? dot(acting, d.p) : d.p[d.baselineIndex]!, logistic: logProbs ? dot(logProbs, d.p) : d.p[d.baselineIndex]!, oracle: Math.max(...d.p) },
        dwell: { baseline: keep[0], rl: dwellActing ? dot(dwellActing, keep) : keep[0], logistic: keep[0], oracle: Math.max(...keep) },
      });
    };
    const S = o.sessions ?? 16;
    const per = o.perSession ?? 150;
    let started = 0;
    let total = 0;
    const active: SimSession[] = [];
    const newSession = async () => {
      const s = new SimSession({ base, analysis, trackId, taste: o.taste, rand: mulberry32(o.seed * 7919 + started), sessionId: `sim-${o.seed}-${started}`, startTs: 1_800_000_000_000 + started * 3_600_000, windowMs: config.rewardWindowS * 1000, newId, onDecision });
      started++;
      await s.start();
      active.push(s);
    };
    const status = async (): Promise<{ status: LearnerStatus | null; rewards: { kind: string; source: string; count: number }[] }> =>
      (await (await fetch(`${base}/api/rl/bandit`)).json()) as never;
    const resolvedJumps = (r: { kind: string; source: string; count: number }[]) => r.filter((x) => x.kind === 'jump' && x.source !== 'pending').reduce((s, x) => s + x.count, 0);
    const maxLag = 100 + S * 8;
    let nextTrain = Math.max(200, Math.floor(o.decisions / 10));
    let lastProgress = 0;
    while (total < o.decisions) {
      while (active.length < S) await newSession();
      for (const s of [...active]) {
        const before = s.decisions;
        await s.run(Math.min(10, per - s.decisions));
        total += s.decisions - before;
        if (s.decisions >= per) {
          await s.leave();
          active.splice(active.indexOf(s), 1);
        }
      }
      // Learning is online: the listeners wait while the learner is more than a little behind them.
      const posted = records.size;
      for (let waited = 0; waited < 30_000; waited += 25) {
        const st = await status();
        if (resolvedJumps(st.rewards) >= posted - maxLag) break;
        await sleep(25);
      }
      if (total >= nextTrain) {
        nextTrain += Math.max(200, Math.floor(o.decisions / 10));
        try {
          const r = await trainModel(await readStore.models.labeledJumps(), { seed: o.seed, folds: 5, minExamples: 20, workers: 0 });
          logistic = r.model;
        } catch {
          /* too few labels or one class: the logistic comparator keeps the baseline rule */
        }
      }
      if (o.progress && (total - lastProgress >= 500 || total >= o.decisions)) {
        lastProgress = total;
        const recent = scored.slice(-500);
        o.progress({ decisions: total, total: o.decisions, elapsed_s: (Date.now() - t0) / 1000, active: (await status()).status?.active ?? null, rl_recent: recent.length ? recent.reduce((a, s) => a + s.jump.rl, 0) / recent.length : null, labels: labeler.labeled });
      }
    }
    for (const s of active.splice(0)) await s.leave();
    // Let the last rewards and labels arrive, then evaluate what was logged.
    await labeler.stop();
    await labeler.drain(1500, 60_000);
    for (let waited = 0; waited < 30_000; waited += 100) {
      const st = await status();
      if (resolvedJumps(st.rewards) >= records.size && st.status && st.status.pending === 0) break;
      await sleep(100);
    }
    await sleep(600); // one more learner pass for the last labels

    const finalStatus = (await status()).status;
    const arms = summarize(anyRl ? scored.filter((_, i) => scoredArm[i] === 'rl') : scored) as SimReport['arms'];
    const byArm = (arm: string) => [...labeler!.good.entries()].filter(([id]) => records.get(id)?.arm === arm);
    for (const a of ['baseline', 'rl'] as const) {
      const l = byArm(a);
      arms[a].good_labels = goodLabels(l.filter(([, g]) => g).length, l.length);
    }
    if (holdout.length > 0) {
      const l = byArm('baseline');
      arms.baseline.holdout = { decisions: holdout.length, true_reward: holdout.reduce((s, d) => s + d.p[d.chosen], 0) / holdout.length, good_labels: goodLabels(l.filter(([, g]) => g).length, l.length) };
    }
    const ope = await offPolicy(readStore, records, keep, o.seed);
    return {
      taste: o.taste,
      seed: o.seed,
      mode: o.mode,
      decisions: total,
      scored_decisions: anyRl ? scoredArm.filter((a) => a === 'rl').length : scored.length,
      arms,
      gap_closed_last_half: {
        rl: gapClosed(arms.rl.true_reward_last_half, arms.baseline.true_reward_last_half, arms.oracle.true_reward_last_half),
        logistic: gapClosed(arms.logistic.true_reward_last_half, arms.baseline.true_reward_last_half, arms.oracle.true_reward_last_half),
      },
      ope,
      learner: finalStatus,
      labels: labeler.labeled,
      elapsed_s: (Date.now() - t0) / 1000,
      data_dir: o.dataDir ?? null,
    };
  } finally {
    await labeler?.stop().catch(() => {});
    await readStore.close();
    await system.close();
    if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The off-policy estimates of the logged decisions for the active, the newest candidate, the baseline and
 * the uniform policy, each next to its true value on the same decisions: the expected reward under the
 * reward rule, known from the simulated listener: a labeled jump's reward has mean p(good); an implicit
 * one is 1 only when the jump was good and the listener kept listening through the dwell, mean
 * p(good) · p(keep | dwell); a dwell's reward has mean p(good of its jump) · p(keep | dwell).
 */
async function offPolicy(store: StoreApi, records: Map<string, SimDecision>, keep: readonly number[], seed: number): Promise<OpeRow[]> {
  const log = await loadEvaluationLog(store, { limit: 1_000_000 });
  const targets: TargetPolicy[] = [];
  const act = await store.bandit.activePolicy();
  if (act) targets.push(banditTarget('active', validateBanditPolicy(JSON.parse(act.policy_json))));
  const cand = await store.bandit.latestCandidate();
  if (cand) targets.push(banditTarget('candidate', validateBanditPolicy(JSON.parse(cand.policy_json))));
  targets.push(baselineTarget, uniformTarget);
  const truthOf = (i: number): number[] | null => {
    const e = log[i]!;
    const r = records.get(e.event_id);
    if (!r) return null;
    if (e.parsed.kind === 'jump') {
      const s = e.source === 'label' ? 1 : keep[DWELL_BARS.indexOf(r.dwellBars)]!;
      return r.p.map((p) => p * s);
    }
    return keep.map((k) => r.p[r.chosen]! * k);
  };
  const truths = log.map((_, i) => truthOf(i));
  const evals = evaluatePolicies(log, targets, { seed });
  const rows: OpeRow[] = [];
  for (const ev of evals) {
    if (ev.refused) continue;
    const t = targets.find((x) => x.name === ev.policy)!;
    // The truth over exactly the decisions the estimator used (same kind, with support).
    let sum = 0;
    let n = 0;
    log.forEach((e, i) => {
      if (ev.kind !== 'all' && e.parsed.kind !== ev.kind) return;
      const pi = t.probabilities(e.parsed);
      if (pi.some((p, a) => p > 1e-12 && !(e.parsed.logged[a] > 0))) return;
      const mu = truths[i];
      if (!mu) return;
      sum += pi.reduce((s, p, a) => s + p * mu[a]!, 0);
      n++;
    });
    const truth = n > 0 ? sum / n : NaN;
    for (const est of ev.estimates) {
      rows.push({ policy: ev.policy, version: ev.version, kind: ev.kind, estimator: est.estimator, estimate: est.estimate, ci_low: est.ci_low, ci_high: est.ci_high, true: truth, covered: est.ci_low <= truth && truth <= est.ci_high, n: ev.n });
    }
  }
  return rows;
}
