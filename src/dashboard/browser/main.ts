/**
 * The dashboard page: asks for the operator token once (kept in localStorage; ?token= in the URL is
 * taken and removed), then polls the summary every 5 s (the off-policy panel every minute) and draws
 * the charts with uPlot. Everything from the server is written with textContent.
 */
import uPlot from 'uplot';
import { adoptUrlToken } from '../../shared/browser/url-token.js';
import 'uplot/dist/uPlot.min.css';
import type { Chart, DashboardSummary } from '../summary.js';
import type { OpePanel } from '../ope.js';

const TOKEN_KEY = 'harmonizer.dashboard.token';
const RANGE_KEY = 'harmonizer.dashboard.range';
const REFRESH_MS = 5000;
const OPE_REFRESH_MS = 60_000;
const COLORS = ['#2f81f7', '#3fb950', '#d29922', '#f85149', '#a371f7', '#db61a2', '#39c5cf', '#e3b341'];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const all = <T extends Element>(selector: string): T[] => Array.from(document.querySelectorAll<T>(selector) as unknown as ArrayLike<T>);

/** What the page drew, for people debugging it and for the browser tests (the charts' own data). */
interface DashboardDebug {
  summary: DashboardSummary | null;
  ope: OpePanel | null;
  charts: Record<string, { series: string[]; data: (number | null)[][] }>;
  refreshes: number;
}
const debug: DashboardDebug = { summary: null, ope: null, charts: {}, refreshes: 0 };
(window as unknown as { __dashboard: DashboardDebug }).__dashboard = debug;

let token = '';
let range = localStorage.getItem(RANGE_KEY) ?? '24h';
const plots = new Map<string, uPlot>();

class Unauthorized extends Error {}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the token was refused');
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function table(id: string, head: string[], rows: (string | number | null)[][], numeric: boolean[] = []): void {
  const t = $<HTMLTableElement>(id);
  t.replaceChildren();
  if (rows.length === 0) return;
  const tr = el('tr');
  head.forEach((h, i) => tr.append(el('th', h, numeric[i] ? 'num' : undefined)));
  t.append(tr);
  for (const r of rows) {
    const row = el('tr');
    r.forEach((v, i) => row.append(el('td', v === null ? '–' : String(v), numeric[i] ? 'num' : undefined)));
    t.append(row);
  }
}

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** Draws (or redraws) a uPlot time-series chart; bands are drawn as dashed low/high lines. */
function drawChart(id: string, chart: Chart, opts: { bands?: boolean; yRange?: [number, number] } = {}): void {
  const box = $(id);
  const names: string[] = [];
  const data: (number | null)[][] = [chart.t];
  const series: uPlot.Series[] = [{}];
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    names.push(s.name);
    data.push(s.values);
    series.push({ label: s.name, stroke: color, width: 2, spanGaps: false, points: { show: true, size: 4 } });
    if (opts.bands && s.low && s.high) {
      data.push(s.low, s.high);
      series.push({ label: `${s.name} low`, stroke: color, width: 1, dash: [4, 4], points: { show: false } });
      series.push({ label: `${s.name} high`, stroke: color, width: 1, dash: [4, 4], points: { show: false } });
    }
  });
  debug.charts[id] = { series: names, data };
  const width = Math.max(200, box.clientWidth || 500);
  const key = `${id}:${series.map((s) => s.label ?? '').join('|')}`;
  const existing = plots.get(id);
  if (existing && (existing as unknown as { _key?: string })._key === key) {
    existing.setData(data as uPlot.AlignedData);
    return;
  }
  existing?.destroy();
  const u = new uPlot(
    {
      width,
      height: 200,
      series,
      scales: { x: { time: true }, ...(opts.yRange ? { y: { range: opts.yRange } } : {}) },
      axes: [{ stroke: '#9aa0ab', grid: { stroke: '#2d333b' } }, { stroke: '#9aa0ab', grid: { stroke: '#2d333b' } }],
      legend: { show: true },
    },
    data as uPlot.AlignedData,
    box,
  );
  (u as unknown as { _key?: string })._key = key;
  plots.set(id, u);
}

const hasPoints = (c: Chart) => c.series.some((s) => s.values.some((v) => v !== null));

function setEmpty(id: string, empty: boolean, chartId?: string): void {
  $(id).hidden = !empty;
  if (chartId) $(chartId).hidden = empty;
}

function renderSummary(s: DashboardSummary): void {
  debug.summary = s;
  const banner = $('banner');
  banner.replaceChildren(
    ...s.health.map((h) => {
      const d = el('div', undefined, 'health');
      d.dataset.level = h.level;
      d.dataset.id = h.id;
      d.append(el('b', h.label), el('span', h.value));
      return d;
    }),
  );

  setEmpty('empty-rewards', !hasPoints(s.rewards), 'chart-rewards');
  if (hasPoints(s.rewards)) drawChart('chart-rewards', s.rewards, { bands: true, yRange: [0, 1] });
  setEmpty('empty-decisions', !hasPoints(s.decisions_per_min), 'chart-decisions');
  if (hasPoints(s.decisions_per_min)) drawChart('chart-decisions', s.decisions_per_min);

  // Versions: bandit versions' DR estimates over time, and the tables.
  const withDr = s.policies.filter((p) => p.dr !== null).slice().reverse();
  setEmpty('empty-versions', s.policies.length === 0, 'chart-versions');
  if (withDr.length > 0) {
    drawChart('chart-versions', {
      t: withDr.map((p) => Date.parse(p.created_at) / 1000),
      series: [
        { name: 'DR estimate', values: withDr.map((p) => p.dr) },
        { name: 'DR lower bound', values: withDr.map((p) => p.dr_low) },
      ],
    });
  }
  table('versions-table', ['bandit version', 'published', 'status', 'DR', 'DR low', 'gate'], s.policies.slice(0, 15).map((p) => [p.version, p.created_at.slice(0, 19).replace('T', ' '), p.status, fmt(p.dr), fmt(p.dr_low), p.reason]), [false, false, false, true, true, false]);
  table('models-table', ['quality model', 'trained', 'active', 'held-out log-loss', 'AUC'], s.models.map((m) => [m.version, m.created_at.slice(0, 19).replace('T', ' '), m.active ? 'active' : '', fmt(m.log_loss), fmt(m.auc)]), [false, false, false, true, true]);

  // Labeling.
  const l = s.labeling;
  const kv = $('label-kv');
  const mix = l.mix as unknown as Record<string, number>;
  kv.replaceChildren(
    ...[
      ['labels', String(mix.total ?? 0)],
      ['good / meh / bad', `${mix.good ?? 0} / ${mix.meh ?? 0} / ${mix.bad ?? 0}`],
      ['agreement (Fleiss κ)', l.kappa === null ? 'needs clips with 2 labels' : l.kappa.toFixed(2)],
      ['clips waiting', String(l.clips_waiting)],
      ['labelers', String(Object.keys(l.per_labeler).length)],
    ].map(([k, v]) => {
      const sp = el('span');
      sp.append(el('b', `${k}: `), document.createTextNode(v!));
      return sp;
    }),
  );
  setEmpty('empty-labels', !hasPoints(l.per_hour), 'chart-labels');
  if (hasPoints(l.per_hour)) drawChart('chart-labels', l.per_hour);

  // Pipeline.
  const p = s.pipeline;
  const pkv = $('pipeline-kv');
  pkv.replaceChildren(
    ...[
      ['ingest (5 min)', `${p.events_per_min.toFixed(1)} events/min`],
      ['commit p99', p.commit_p99_ms === null ? '–' : `${p.commit_p99_ms.toFixed(1)} ms`],
      ['snippets', `${p.queue.pending} pending · ${p.queue.rendering} rendering · ${p.queue.rendered} rendered · ${p.queue.failed} failed`],
    ].map(([k, v]) => {
      const sp = el('span');
      sp.append(el('b', `${k}: `), document.createTextNode(v!));
      return sp;
    }),
  );
  if (hasPoints(p.renders)) drawChart('chart-renders', p.renders);
  $('chart-renders').hidden = !hasPoints(p.renders);
  table('failures-table', ['render failure', 'count'], p.failures.map((f) => [f.reason, f.count]), [false, true]);

  // Worst jumps, with their clip through the labeler's audio API.
  setEmpty('empty-worst', s.worst.length === 0);
  const wt = $<HTMLTableElement>('worst-table');
  wt.replaceChildren();
  if (s.worst.length > 0) {
    const head = el('tr');
    for (const h of ['', 'reward', 'source', 'arm', 'track', 'features']) head.append(el('th', h));
    wt.append(head);
    for (const w of s.worst) {
      const tr = el('tr');
      const cell = el('td');
      const btn = el('button', '▶', 'play') as HTMLButtonElement;
      btn.type = 'button';
      btn.title = 'play the clip';
      btn.addEventListener('click', () => void play(w.event_id, btn));
      cell.append(btn);
      const feats = Object.entries(w.features)
        .filter(([, v]) => v !== null && v !== undefined)
        .slice(0, 6)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(2) : String(v)}`)
        .join(', ');
      tr.append(cell, el('td', w.reward.toFixed(2), 'num'), el('td', w.source), el('td', w.policy_mode ?? '–'), el('td', w.track_id), el('td', feats));
      wt.append(tr);
    }
  }
  $('updated').textContent = `updated ${new Date(s.generated_at).toLocaleTimeString()} · buckets of ${Math.round(s.bucket_ms / 60_000)} min`;
}

function bars(id: string, title: string, h: { edges: number[]; counts: number[] } | null): void {
  const box = $(id);
  box.replaceChildren();
  if (!h) return;
  box.append(el('h3', title));
  const max = Math.max(1, ...h.counts);
  h.edges.forEach((e, i) => {
    const row = el('div');
    const bar = el('span', undefined, 'bar');
    bar.style.width = `${(200 * h.counts[i]!) / max}px`;
    row.append(el('span', `≥ ${e}`), bar, el('span', String(h.counts[i])));
    box.append(row);
  });
}

function renderOpe(o: OpePanel): void {
  debug.ope = o;
  const rows: (string | number | null)[][] = [];
  for (const e of o.evaluations) {
    for (const est of e.estimates) {
      rows.push([e.policy + (e.version ? ` ${e.version}` : ''), e.kind, est.estimator, fmt(est.estimate), `${fmt(est.ci_low)} – ${fmt(est.ci_high)}`, e.diagnostics ? e.diagnostics.ess.toFixed(0) : '–', e.diagnostics ? e.diagnostics.max_weight.toFixed(1) : '–', e.n]);
    }
    if (e.refused) rows.push([e.policy, e.kind, 'refused', e.refused, '', '', '', e.n]);
  }
  $('empty-ope').hidden = rows.length > 0;
  table('ope-table', ['policy', 'kind', 'estimator', 'estimate', '95 % interval', 'ESS', 'max weight', 'n'], rows, [false, false, false, true, false, true, true, true]);
  $('ope-meta').textContent = o.decisions > 0 ? `${o.decisions} newest decisions, computed ${new Date(o.computed_at).toLocaleTimeString()}` : '';
  bars('hist-propensities', 'logged propensities', o.decisions > 0 ? o.propensities : null);
  bars('hist-weights', "active policy's importance weights", o.weights);
}

let opeAt = 0;
async function refresh(): Promise<void> {
  try {
    renderSummary(await api<DashboardSummary>(`/api/rl/dashboard/summary?range=${encodeURIComponent(range)}`));
    if (Date.now() - opeAt >= OPE_REFRESH_MS) {
      opeAt = Date.now();
      renderOpe(await api<OpePanel>('/api/rl/dashboard/ope'));
    }
    debug.refreshes++;
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin(err.message);
    $('updated').textContent = `refresh failed: ${(err as Error).message}`;
  }
}

function showLogin(message = ''): void {
  $('login').hidden = false;
  $('login-error').textContent = message;
  for (const s of all<HTMLElement>('section')) s.hidden = true;
  $<HTMLInputElement>('login-token').focus();
}

function markRange(): void {
  for (const b of all<HTMLButtonElement>('.ranges button')) b.setAttribute('aria-pressed', String(b.dataset.range === range));
}

let timer: number | undefined;
function start(): void {
  $('login').hidden = true;
  for (const s of all<HTMLElement>('section')) s.hidden = false;
  markRange();
  void refresh();
  if (timer !== undefined) clearInterval(timer);
  timer = window.setInterval(() => void refresh(), REFRESH_MS);
}

async function play(eventId: string, btn: HTMLButtonElement): Promise<void> {
  btn.disabled = true;
  try {
    const res = await fetch(`/api/rl/dashboard/audio/${encodeURIComponent(eventId)}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const audio = new Audio(URL.createObjectURL(await res.blob()));
    await audio.play();
  } catch (err) {
    btn.title = `cannot play: ${(err as Error).message}`;
  } finally {
    btn.disabled = false;
  }
}

// Charts follow their panel's width (a phone turned, a window resized).
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const [id, u] of plots) u.setSize({ width: Math.max(200, $(id).clientWidth), height: 200 });
  }, 100);
});

for (const b of all<HTMLButtonElement>('.ranges button')) {
  b.addEventListener('click', () => {
    range = b.dataset.range ?? '24h';
    localStorage.setItem(RANGE_KEY, range);
    markRange();
    void refresh();
  });
}
$<HTMLFormElement>('login').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $<HTMLInputElement>('login-token').value.trim();
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  opeAt = 0;
  start();
});

adoptUrlToken(TOKEN_KEY);
token = localStorage.getItem(TOKEN_KEY) ?? '';
if (token) start();
else showLogin();
