import type { Db } from './sqlite.js';

export type LabelValue = 'good' | 'meh' | 'bad';
export const LABEL_VALUES: readonly LabelValue[] = ['good', 'meh', 'bad'];

/** A stored decision: the latest label of one labeler for one clip. */
export interface LabelRow {
  id: number;
  event_id: string;
  labeler: string;
  label: LabelValue;
  notes: string | null;
  time_spent_ms: number | null;
  created_at: number;
  updated_at: number;
}

/** A recent decision with what the labeler needs to recognise the clip. */
export interface RecentDecision extends LabelRow {
  track_id: string;
  track_title: string;
  source_index: number;
  target_index: number;
}

/** Queue filters; every field optional. `arm: 'none'` selects events logged without an arm. */
export interface ClipFilters {
  track?: string;
  mode?: string;
  arm?: 'baseline' | 'rl' | 'none';
  modelVersion?: string;
  simMin?: number;
  simMax?: number;
}

/** A rendered clip: the jump event, its track title and the snippet's timing. */
export interface ClipRow {
  event_id: string;
  track_id: string;
  track_title: string;
  mode: string;
  source_index: number;
  target_index: number;
  source_time: number;
  target_time: number;
  similarity: number | null;
  span: number | null;
  same_section: number | null;
  /** JSON text of the event's context (feature inputs for the uncertainty order). */
  context: string | null;
  policy_mode: string | null;
  model_version: string | null;
  path: string | null;
  ref_path: string | null;
  duration_s: number | null;
  splice_offset_s: number | null;
  pre_s: number | null;
  post_s: number | null;
  /** Labels the clip has from all labelers. */
  labels_count: number;
}

export interface LeaseOptions {
  now: number;
  leaseMs: number;
  /** Labels a clip needs in total (RL_LABELS_PER_CLIP). */
  perClip: number;
  /**
   * Uncertainty order: lower priority first among the sampled clips the labeler has not skipped.
   * Absent: random order.
   */
  priority?: (clip: ClipRow) => number;
  /** Clips sampled (at random) for the priority order; bounds the per-request cost. Default 2000. */
  sample?: number;
  /** Uniform in [0, 1): where the random order starts. Default Math.random. */
  rand?: () => number;
}

export interface Lease {
  clip: ClipRow;
  expires_at: number;
}

export interface LabelMix {
  good: number;
  meh: number;
  bad: number;
  total: number;
}

export interface LabelExportRow extends LabelRow {
  track_id: string;
  track_title: string | null;
  mode: string;
  source_index: number;
  target_index: number;
  source_time: number;
  target_time: number;
  similarity: number | null;
  policy_mode: string | null;
  model_version: string | null;
}

export const CLIP_COLUMNS = `s.event_id, e.track_id, coalesce(t.title, e.track_title, e.track_id) AS track_title, e.mode,
  e.source_index, e.target_index, e.source_time, e.target_time, e.similarity, e.span, e.same_section, e.context,
  e.policy_mode, e.model_version, s.path, s.ref_path, s.duration_s, s.splice_offset_s, s.pre_s, s.post_s,
  (SELECT count(*) FROM labels n WHERE n.event_id = s.event_id) AS labels_count`;

export const CLIP_JOINS = `JOIN jump_events e ON e.event_id = s.event_id LEFT JOIN tracks t ON t.track_id = e.track_id`;
export const CLIP_FROM = `snippets s ${CLIP_JOINS}`;

/**
 * WHERE fragments of the filters, with named parameters (never values spliced into SQL). These clip
 * fragments are portable SQL: the PostgreSQL store (pg/labels.ts) uses them too, its @names numbered.
 */
export function filterSql(f: ClipFilters): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.track !== undefined) {
    parts.push('e.track_id = @f_track');
    params.f_track = f.track;
  }
  if (f.mode !== undefined) {
    parts.push('e.mode = @f_mode');
    params.f_mode = f.mode;
  }
  if (f.arm === 'none') parts.push('e.policy_mode IS NULL');
  else if (f.arm !== undefined) {
    parts.push('e.policy_mode = @f_arm');
    params.f_arm = f.arm;
  }
  if (f.modelVersion !== undefined) {
    parts.push('e.model_version = @f_model');
    params.f_model = f.modelVersion;
  }
  if (f.simMin !== undefined) {
    parts.push('e.similarity >= @f_sim_min');
    params.f_sim_min = f.simMin;
  }
  if (f.simMax !== undefined) {
    parts.push('e.similarity <= @f_sim_max');
    params.f_sim_max = f.simMax;
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}

/**
 * Clips that still need a label from @labeler: not labeled by them and short of @perClip labels.
 * With one label per clip (the default) that is one index probe: no label at all.
 */
export function needsLabel(perClip: number): string {
  if (perClip <= 1) return 'NOT EXISTS (SELECT 1 FROM labels x WHERE x.event_id = s.event_id)';
  return `NOT EXISTS (SELECT 1 FROM labels x WHERE x.event_id = s.event_id AND x.labeler = @labeler)
    AND (SELECT count(*) FROM labels x WHERE x.event_id = s.event_id) < @perClip`;
}

/** A clip this labeler may receive now: rendered (the unary + keeps the scan in rowid order), needed, not leased by another. */
function eligible(perClip: number, filters: string): string {
  return `+s.state = 'rendered' AND ${needsLabel(perClip)}
    AND NOT EXISTS (SELECT 1 FROM label_leases l WHERE l.event_id = s.event_id AND l.expires_at > @now AND l.labeler <> @labeler)${filters}`;
}

export const NOT_SKIPPED = 'NOT EXISTS (SELECT 1 FROM label_skips k WHERE k.labeler = @labeler AND k.event_id = s.event_id)';

/**
 * Labels, the labelers' clip leases and skips. Methods that read then write run in IMMEDIATE
 * transactions: the ingest writer thread shares the file, and a deferred transaction that read
 * before the writer committed could not upgrade to a write (SQLITE_BUSY_SNAPSHOT).
 */
export class LabelStore {
  constructor(private readonly db: Db) {}

  private immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Leases the labeler's next clip: the one they already hold (a page reload gets the same clip),
   * else one not leased to anyone else; clips they skipped come last, in skip order. Releases the
   * labeler's other leases: a labeler holds at most one clip. Null when the queue is empty.
   *
   * Random order starts a rowid-ordered scan at a random rowid (wrapping around) and takes the first
   * eligible clip: it stops early instead of sorting every candidate, so a request stays cheap with
   * many rendered clips (clips right after long runs of labeled ones are somewhat favoured, which
   * does not matter for labeling). The priority order sorts a random sample of `sample` clips.
   */
  leaseNext(labeler: string, filters: ClipFilters, opts: LeaseOptions): Lease | null {
    const f = filterSql(filters);
    const where = eligible(opts.perClip, f.sql);
    const params = { ...f.params, labeler, now: opts.now, perClip: opts.perClip };
    return this.immediate(() => {
      const held = this.db
        .prepare(`SELECT ${CLIP_COLUMNS} FROM label_leases h JOIN snippets s ON s.event_id = h.event_id ${CLIP_JOINS}
                   WHERE h.labeler = @labeler AND h.expires_at > @now AND ${where} LIMIT 1`)
        .get(params) as ClipRow | undefined;
      let pick = held;
      if (!pick && opts.priority) {
        // Sample rowids first (the sort then carries one integer per candidate), then read the sample.
        const from = f.sql === '' ? 'snippets s' : CLIP_FROM;
        const rows = this.db
          .prepare(
            `SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE s.rowid IN
               (SELECT s.rowid FROM ${from} WHERE ${where} AND ${NOT_SKIPPED} ORDER BY random() LIMIT @limit)`,
          )
          .all({ ...params, limit: opts.sample ?? 2000 }) as ClipRow[];
        let best = Infinity;
        for (const r of rows) {
          const p = opts.priority(r);
          if (p < best || pick === undefined) {
            best = p;
            pick = r;
          }
        }
      } else if (!pick) {
        const maxRowid = (this.db.prepare('SELECT coalesce(max(rowid), 0) FROM snippets').pluck().get() as number) + 1;
        const start = Math.floor((opts.rand ?? Math.random)() * maxRowid);
        const scan = (range: string) =>
          this.db
            .prepare(`SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE ${range} AND ${where} AND ${NOT_SKIPPED} ORDER BY s.rowid LIMIT 1`)
            .get({ ...params, start }) as ClipRow | undefined;
        pick = scan('s.rowid >= @start') ?? scan('s.rowid < @start');
      }
      pick ??= this.db
        .prepare(`SELECT ${CLIP_COLUMNS} FROM label_skips k JOIN snippets s ON s.event_id = k.event_id ${CLIP_JOINS}
                   WHERE k.labeler = @labeler AND ${where} ORDER BY k.seq LIMIT 1`)
        .get(params) as ClipRow | undefined;
      this.db.prepare('DELETE FROM label_leases WHERE labeler = ? AND event_id <> ?').run(labeler, pick?.event_id ?? '');
      if (!pick) return null;
      const expires_at = opts.now + opts.leaseMs;
      this.db
        .prepare(
          `INSERT INTO label_leases (event_id, labeler, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (event_id) DO UPDATE SET labeler = excluded.labeler, expires_at = excluded.expires_at`,
        )
        .run(pick.event_id, labeler, expires_at);
      return { clip: pick, expires_at };
    });
  }

  /** Clips still needing a label from this labeler under the filters (leased ones included). */
  remaining(labeler: string, filters: ClipFilters, perClip: number): number {
    const f = filterSql(filters);
    // The event join only when a filter reads the event: counting is a scan of every rendered clip.
    const from = f.sql === '' ? 'snippets s' : `snippets s ${CLIP_JOINS}`;
    return this.db
      .prepare(`SELECT count(*) FROM ${from} WHERE s.state = 'rendered' AND ${needsLabel(perClip)}${f.sql}`)
      .pluck()
      .get({ ...f.params, labeler, perClip }) as number;
  }

  /** A rendered clip by event id (undefined when unknown or not rendered). */
  clip(eventId: string): ClipRow | undefined {
    return this.db
      .prepare(`SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE s.event_id = ? AND s.state = 'rendered'`)
      .get(eventId) as ClipRow | undefined;
  }

  /**
   * Records a decision; a newer one by the same labeler on the same clip replaces it (latest wins)
   * and keeps its place in the labeler's history. `notes` undefined keeps the stored notes ('' clears
   * them); `time_spent_ms` null keeps the stored time. Releases the labeler's lease on the clip.
   */
  upsert(d: { event_id: string; labeler: string; label: LabelValue; notes?: string; time_spent_ms: number | null; now: number }): LabelRow {
    return this.immediate(() => {
      this.db
        .prepare(
          `INSERT INTO labels (event_id, labeler, label, notes, time_spent_ms, created_at, updated_at)
           VALUES (@event_id, @labeler, @label, @notes, @time_spent_ms, @now, @now)
           ON CONFLICT (event_id, labeler) DO UPDATE SET
             label = excluded.label,
             notes = CASE WHEN @keep_notes THEN labels.notes ELSE excluded.notes END,
             time_spent_ms = coalesce(excluded.time_spent_ms, labels.time_spent_ms),
             updated_at = excluded.updated_at`,
        )
        .run({
          event_id: d.event_id,
          labeler: d.labeler,
          label: d.label,
          notes: d.notes === undefined || d.notes === '' ? null : d.notes,
          keep_notes: d.notes === undefined ? 1 : 0,
          time_spent_ms: d.time_spent_ms,
          now: d.now,
        });
      this.db.prepare('DELETE FROM label_leases WHERE event_id = ? AND labeler = ?').run(d.event_id, d.labeler);
      return this.get(d.event_id, d.labeler)!;
    });
  }

  get(eventId: string, labeler: string): LabelRow | undefined {
    return this.db.prepare('SELECT * FROM labels WHERE event_id = ? AND labeler = ?').get(eventId, labeler) as LabelRow | undefined;
  }

  /** Puts the clip at the end of this labeler's queue (a skip is not a label) and releases its lease. */
  skip(labeler: string, eventId: string, now: number): void {
    this.immediate(() => {
      const seq = this.db.prepare('SELECT coalesce(max(seq), 0) + 1 FROM label_skips WHERE labeler = ?').pluck().get(labeler) as number;
      this.db
        .prepare(
          `INSERT INTO label_skips (labeler, event_id, seq, skipped_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (labeler, event_id) DO UPDATE SET seq = excluded.seq, skipped_at = excluded.skipped_at`,
        )
        .run(labeler, eventId, seq, now);
      this.db.prepare('DELETE FROM label_leases WHERE event_id = ? AND labeler = ?').run(eventId, labeler);
    });
  }

  /**
   * Takes back the labeler's last decision (highest id): deletes it and leases the clip to them again
   * unless another labeler holds it now. Undefined when there is nothing to undo.
   */
  undo(labeler: string, now: number, leaseMs: number): { removed: LabelRow; leased: boolean } | undefined {
    return this.immediate(() => {
      const last = this.db.prepare('SELECT * FROM labels WHERE labeler = ? ORDER BY id DESC LIMIT 1').get(labeler) as LabelRow | undefined;
      if (!last) return undefined;
      this.db.prepare('DELETE FROM labels WHERE id = ?').run(last.id);
      this.db.prepare('DELETE FROM label_leases WHERE labeler = ?').run(labeler);
      return { removed: last, leased: this.takeLease(last.event_id, labeler, now, leaseMs) };
    });
  }

  /**
   * Extends the labeler's lease on a clip they are listening to (the page renews while the clip is
   * open, so a long listen does not hand it to someone else), or takes it back if the lease lapsed
   * and nobody else took it. False when another labeler holds it now. A labeler holds at most one
   * clip: their other leases are released.
   */
  renewLease(eventId: string, labeler: string, now: number, leaseMs: number): { renewed: boolean; expires_at: number } {
    return this.immediate(() => {
      const renewed = this.takeLease(eventId, labeler, now, leaseMs);
      if (renewed) this.db.prepare('DELETE FROM label_leases WHERE labeler = ? AND event_id <> ?').run(labeler, eventId);
      return { renewed, expires_at: now + leaseMs };
    });
  }

  /** Leases the clip to the labeler unless another labeler holds a live lease on it; true when taken. */
  private takeLease(eventId: string, labeler: string, now: number, leaseMs: number): boolean {
    return (
      this.db
        .prepare(
          `INSERT INTO label_leases (event_id, labeler, expires_at) VALUES (@event_id, @labeler, @until)
           ON CONFLICT (event_id) DO UPDATE SET labeler = excluded.labeler, expires_at = excluded.expires_at
            WHERE label_leases.expires_at <= @now OR label_leases.labeler = excluded.labeler`,
        )
        .run({ event_id: eventId, labeler, until: now + leaseMs, now }).changes === 1
    );
  }

  /** Releases every lease of the labeler (e.g. when they leave). */
  release(labeler: string): number {
    return this.db.prepare('DELETE FROM label_leases WHERE labeler = ?').run(labeler).changes;
  }

  /** Deletes expired leases (housekeeping; an expired lease is already ignored by the queue). */
  deleteExpiredLeases(now: number): number {
    return this.db.prepare('DELETE FROM label_leases WHERE expires_at <= ?').run(now).changes;
  }

  /** The labeler's last `limit` decisions, newest first. */
  recent(labeler: string, limit: number): RecentDecision[] {
    return this.db
      .prepare(
        `SELECT l.*, e.track_id, coalesce(t.title, e.track_title, e.track_id) AS track_title, e.source_index, e.target_index
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id LEFT JOIN tracks t ON t.track_id = e.track_id
          WHERE l.labeler = ? ORDER BY l.id DESC LIMIT ?`,
      )
      .all(labeler, limit) as RecentDecision[];
  }

  /** Decisions of the labeler in total and since `since` (ms), by first-decision time. */
  countBy(labeler: string, since: number): { total: number; since: number } {
    return this.db
      .prepare('SELECT count(*) AS total, coalesce(sum(created_at >= ?), 0) AS since FROM labels WHERE labeler = ?')
      .get(since, labeler) as { total: number; since: number };
  }

  /** Every label row. */
  count(): number {
    return this.db.prepare('SELECT count(*) FROM labels').pluck().get() as number;
  }

  /**
   * False on a database older than the labels migration, opened read-only by a process that cannot
   * migrate it (telemetry then reports no labels instead of failing).
   */
  private exists(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'labels'").pluck().get() === 1;
  }

  /** The label mix overall, per policy arm ('none' for events without one) and per labeler. */
  mix(): { overall: LabelMix; per_arm: Record<string, LabelMix>; per_labeler: Record<string, LabelMix> } {
    if (!this.exists()) return { overall: { good: 0, meh: 0, bad: 0, total: 0 }, per_arm: {}, per_labeler: {} };
    const sums = `coalesce(sum(l.label = 'good'), 0) AS good, coalesce(sum(l.label = 'meh'), 0) AS meh,
                  coalesce(sum(l.label = 'bad'), 0) AS bad, count(*) AS total`;
    const overall = this.db.prepare(`SELECT ${sums} FROM labels l`).get() as LabelMix;
    const group = (sql: string) => {
      const out: Record<string, LabelMix> = {};
      for (const r of this.db.prepare(sql).all() as (LabelMix & { k: string })[]) {
        const { k, ...m } = r;
        out[k] = m;
      }
      return out;
    };
    return {
      overall,
      per_arm: group(
        `SELECT coalesce(e.policy_mode, 'none') AS k, ${sums} FROM labels l JOIN jump_events e ON e.event_id = l.event_id GROUP BY 1 ORDER BY 1`,
      ),
      per_labeler: group(`SELECT l.labeler AS k, ${sums} FROM labels l GROUP BY 1 ORDER BY 1`),
    };
  }

  /** Per clip with at least `minLabels` labels: how many labelers chose good, meh, bad. */
  clipCounts(minLabels = 2): { good: number; meh: number; bad: number }[] {
    if (!this.exists()) return [];
    return this.db
      .prepare(
        `SELECT sum(label = 'good') AS good, sum(label = 'meh') AS meh, sum(label = 'bad') AS bad
           FROM labels GROUP BY event_id HAVING count(*) >= ? ORDER BY event_id`,
      )
      .all(minLabels) as { good: number; meh: number; bad: number }[];
  }

  /** Every label with its event's fields, oldest first (export). */
  *iterateExport(): IterableIterator<LabelExportRow> {
    const stmt = this.db.prepare(
      `SELECT l.*, e.track_id, coalesce(t.title, e.track_title) AS track_title, e.mode, e.source_index, e.target_index,
              e.source_time, e.target_time, e.similarity, e.policy_mode, e.model_version
         FROM labels l JOIN jump_events e ON e.event_id = l.event_id LEFT JOIN tracks t ON t.track_id = e.track_id
        ORDER BY l.id`,
    );
    yield* stmt.iterate() as IterableIterator<LabelExportRow>;
  }
}
