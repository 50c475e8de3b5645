import type { TelemetryReport } from './report.js';

/** A plain-text table: the header row, a rule, then the rows; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtNum(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[], numeric: boolean[]) =>
    r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ');
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return [line(header, numeric), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r, numeric))].join('\n');
}

function fmtNum(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(3);
}

/** The human-readable telemetry shown by `harmonizer telemetry`. */
export function formatTelemetry(t: TelemetryReport): string {
  const out: string[] = [];
  out.push(`Harmonizer RL telemetry (${t.generated_at})`, '');
  out.push(`events: ${t.events.total}   rejected: ${t.rejected.total}   sessions: ${t.sessions.assigned} assigned, ${t.sessions.with_events} with events`);
  out.push(`ingest rate: ${t.ingest_rate.last_60s_per_s.toFixed(2)} events/s (1 min), ${t.ingest_rate.last_300s_per_s.toFixed(2)} events/s (5 min)`, '');
  const arms = Object.keys(t.events.per_arm);
  out.push(
    table(
      ['arm', 'events', 'sessions assigned', 'expected', 'with events'],
      arms.map((a) => [a, t.events.per_arm[a] ?? 0, t.sessions.per_arm[a]?.observed ?? 0, t.sessions.per_arm[a]?.expected ?? 0, t.sessions.per_arm[a]?.with_events ?? 0]),
    ),
  );
  out.push(
    t.sessions.srm
      ? `sample ratio mismatch: chi-square ${t.sessions.srm.chi_square.toFixed(3)}, p = ${t.sessions.srm.p_value.toPrecision(3)}${t.sessions.srm.p_value < 0.001 ? '  << MISMATCH: check the assignment' : ''}`
      : 'sample ratio mismatch: n/a (no randomized assignments yet)',
    '',
  );
  if (t.rejected.by_reason.length > 0) {
    out.push(table(['rejected reason', 'count'], t.rejected.by_reason.map((r) => [r.reason, r.count])), '');
  }
  const q = t.snippets.by_state;
  out.push(`snippets: ${q.pending} pending, ${q.rendering} rendering, ${q.rendered} rendered, ${q.failed} failed`);
  if (t.snippets.failed_by_reason.length > 0) {
    out.push(table(['failed snippet reason', 'count'], t.snippets.failed_by_reason.map((r) => [r.reason.slice(0, 100), r.count])));
  }
  out.push(
    '',
    table(
      ['arm', 'sessions', 'events', 'labels', 'good', 'good rate', '95% CI'],
      t.arms.map((a) => [a.arm, a.sessions, a.events, a.labels, a.good, a.good_rate === null ? '-' : a.good_rate.toFixed(3), a.good_rate_ci95 ? `${a.good_rate_ci95[0].toFixed(3)}-${a.good_rate_ci95[1].toFixed(3)}` : '-']),
    ),
  );
  out.push('', `model: ${t.model ? t.model.version : 'none'}`);
  if (t.model && 'metrics' in t.model) {
    const m = t.model.metrics as { held_out?: Record<string, number>; baseline?: Record<string, number> };
    if (m.held_out && m.baseline) {
      out.push(
        `  trained ${t.model.created_at} on ${t.model.n_examples} labeled jumps in ${t.model.training_ms.toFixed(0)} ms`,
        table(['held-out', 'model', 'baseline'], ['log_loss', 'auc', 'brier', 'ece'].map((k) => [k, Number((m.held_out![k] ?? NaN).toFixed(4)), Number((m.baseline![k] ?? NaN).toFixed(4))])),
      );
    }
  }
  if (t.signals.length > 0) out.push('', `listener signals: ${t.signals.map((s) => `${s.kind} ${s.count}`).join(', ')}`);
  out.push('', ...formatLabels(t.labels));
  return out.join('\n');
}

/** Label mix rows (with the good share) and the agreement line. */
export function formatLabels(l: TelemetryReport['labels']): string[] {
  const row = (name: string, m: { good: number; meh: number; bad: number; total: number }) =>
    [name, m.total, m.good, m.meh, m.bad, m.total > 0 ? m.good / m.total : 0] as (string | number)[];
  const out = [`labels: ${l.mix.total}`];
  if (l.mix.total === 0) return out;
  const header = ['', 'labels', 'good', 'meh', 'bad', 'good share'];
  out.push(table(['overall', ...header.slice(1)], [row('all', l.mix)]));
  out.push('', table(['arm', ...header.slice(1)], Object.entries(l.per_arm).map(([k, m]) => row(k, m))));
  out.push('', table(['labeler', ...header.slice(1)], Object.entries(l.per_labeler).map(([k, m]) => row(k, m))));
  const a = l.agreement;
  out.push(
    '',
    a
      ? `inter-labeler agreement: Fleiss' kappa ${a.kappa.toFixed(3)} over ${a.clips} clips with 2+ labels (observed ${a.observed.toFixed(3)}, chance ${a.expected.toFixed(3)})`
      : "inter-labeler agreement: n/a (no clip has two labels yet)",
  );
  return out;
}
