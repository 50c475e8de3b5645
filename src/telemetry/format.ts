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
  out.push(`events: ${t.events.total}   rejected: ${t.rejected.total}   sessions: ${t.sessions.total}`);
  out.push(`ingest rate: ${t.ingest_rate.last_60s_per_s.toFixed(2)} events/s (1 min), ${t.ingest_rate.last_300s_per_s.toFixed(2)} events/s (5 min)`, '');
  const arms = Object.keys(t.events.per_arm);
  out.push(
    table(
      ['arm', 'events', 'sessions', 'expected sessions'],
      arms.map((a) => [a, t.events.per_arm[a] ?? 0, t.sessions.per_arm[a]?.observed ?? 0, t.sessions.per_arm[a]?.expected ?? 0]),
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
  out.push('', `model: ${t.model ? t.model.version : 'none'}`);
  return out.join('\n');
}
