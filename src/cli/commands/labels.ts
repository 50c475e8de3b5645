import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { loadConfig } from '../../shared/config.js';
import { errors } from '../../shared/errors.js';
import type { LabelExportRow, StoreApi } from '../../store/index.js';
import { withStore } from '../store.js';
import type { Command } from '../command.js';

export type ExportFormat = 'jsonl' | 'csv';
const FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

/** Columns of the export, in order (CSV header and JSONL key order). */
export const EXPORT_COLUMNS = [
  'event_id', 'labeler', 'label', 'notes', 'time_spent_ms', 'created_at', 'updated_at', 'track_id', 'track_title',
  'mode', 'source_index', 'target_index', 'source_time', 'target_time', 'similarity', 'policy_mode', 'model_version',
] as const;

type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

function record(r: LabelExportRow): ExportRecord {
  const out = {} as ExportRecord;
  for (const c of EXPORT_COLUMNS) {
    const v = r[c as keyof LabelExportRow] as string | number | null | undefined;
    out[c] = c === 'created_at' || c === 'updated_at' ? new Date(v as number).toISOString() : (v ?? null);
  }
  return out;
}

/**
 * RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. A text that starts
 * with =, +, -, @, tab or CR (a labeler's note, say) would run as a formula in a spreadsheet: it gets a
 * leading apostrophe, as OWASP advises for CSV injection. Numbers are written as they are.
 */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const formula = typeof v === 'string' && /^[=+\-@\t\r]/.test(v);
  const s = formula ? `'${v}` : String(v);
  return formula || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line of the export (with its newline). */
export function exportLine(r: LabelExportRow, format: ExportFormat): string {
  const rec = record(r);
  return format === 'jsonl' ? JSON.stringify(rec) + '\n' : EXPORT_COLUMNS.map((c) => csvField(rec[c])).join(',') + '\r\n';
}

/** Streams every label to `out` (respecting back-pressure); returns the number of labels written. */
export async function exportLabels(store: StoreApi, format: ExportFormat, out: Writable): Promise<number> {
  let n = 0;
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  if (format === 'csv') await write(EXPORT_COLUMNS.join(',') + '\r\n');
  // Rows are collected before writing: a better-sqlite3 iterator holds the connection while open,
  // and awaiting 'drain' in the middle of one is not allowed to interleave other statements.
  const rows = [...(await store.labels.iterateExport())];
  for (const r of rows) {
    await write(exportLine(r, format));
    n++;
  }
  return n;
}

export const labelsCommand: Command = {
  name: 'labels',
  summary: 'export the labels (jsonl or csv) with their jump events',
  usage: 'labels export [--format jsonl|csv] [--out FILE]',
  allowPositionals: true,
  postgres: true,
  options: { format: { type: 'string', default: 'jsonl' }, out: { type: 'string' } },
  optionHelp: { format: 'jsonl | csv', out: 'write to FILE instead of standard output' },
  subcommands: [{ name: 'export', summary: 'write every label with its jump event as JSONL or CSV', usage: 'labels export [--format jsonl|csv] [--out FILE]', options: ['format', 'out'] }],
  async run({ values, positionals }) {
    if (positionals.length !== 1 || positionals[0] !== 'export') {
      throw errors.invalidArgument(`expected the subcommand "export" (see harmonizer labels --help)`);
    }
    const format = values.format as ExportFormat;
    if (!FORMATS.includes(format)) throw errors.invalidArgument(`--format must be ${FORMATS.join(' | ')} (got "${String(values.format)}")`);
    const config = loadConfig();
    await withStore(config, async (store) => {
      const file = typeof values.out === 'string' ? values.out : undefined;
      const out = file ? createWriteStream(file) : process.stdout;
      if (file) {
        await once(out, 'open').catch((err: Error) => {
          throw errors.invalidArgument(`cannot write ${file}: ${err.message}`);
        });
      }
      const n = await exportLabels(store, format, out);
      if (file) {
        out.end();
        await once(out, 'finish');
        console.error(`wrote ${n} labels to ${file}`);
      }
    }, { mustExist: true });
  },
};
