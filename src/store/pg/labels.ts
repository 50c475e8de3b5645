import type { LabelsApi } from '../api.js';
import type { ClipFilters, ClipRow, LabelExportRow, LabelMix, LabelRow, LabelValue, Lease, LeaseOptions, RecentDecision } from '../labels.js';
import { CLIP_COLUMNS, CLIP_FROM, CLIP_JOINS, NOT_SKIPPED, filterSql, needsLabel } from '../labels.js';
import { HarmonizerError } from '../../shared/errors.js';
import { pgTransaction, type PgClient, type PgPool } from './pool.js';

/**
 * Labels, the labelers' clip leases and skips on PostgreSQL: the SQLite LabelStore's statements
 * (src/store/labels.ts), kept in the same named-parameter form and turned into positional ones here.
 *
 * Concurrency. SQLite serialises every leaseNext in an IMMEDIATE transaction; here several nodes
 * lease at once, each statement under READ COMMITTED. Two guards keep the SQLite semantics:
 * - a transaction-level advisory lock per labeler serialises one labeler's own calls (two tabs of one
 *   labeler cannot end up holding two clips, two skips cannot take the same seq);
 * - the lease is taken with an insert-on-conflict that only replaces an expired lease or the labeler's
 *   own. When a concurrent labeler leased the picked clip first, the insert waits for their commit,
 *   changes nothing, and the pick runs again on a fresh snapshot that now sees their lease: two
 *   labelers never hold the same clip, and the retried pick is what a serial execution would pick.
 * Lease rows are locked in one order (event_id) before any is changed (lockLeases): a labeler moving
 * from clip A to B while another moves from B to A would otherwise lock A and B in opposite orders
 * and deadlock.
 */

/** `@name` parameters → `$n`, one position per distinct name (they are repeated in the fragments). */
function positional(sql: string, params: Record<string, unknown>): { text: string; values: unknown[] } {
  const index = new Map<string, number>();
  const values: unknown[] = [];
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      if (!(name in params)) throw new Error(`labels: no value for SQL parameter @${name}`);
      values.push(params[name]);
      i = values.length;
      index.set(name, i);
    }
    return `$${i}`;
  });
  return { text, values };
}

async function rows<T>(c: PgClient | PgPool, sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const q = positional(sql, params);
  return (await c.query(q.text, q.values)).rows as T[];
}

async function run(c: PgClient | PgPool, sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const q = positional(sql, params);
  return (await c.query(q.text, q.values)).rowCount ?? 0;
}

/** A clip this labeler may receive now: rendered, needed, not leased by another. */
function eligible(perClip: number, filters: string): string {
  return `s.state = 'rendered' AND ${needsLabel(perClip)}
    AND NOT EXISTS (SELECT 1 FROM label_leases l WHERE l.event_id = s.event_id AND l.expires_at > @now AND l.labeler <> @labeler)${filters}`;
}


/** Key space of the per-labeler advisory locks (two-int4 keys never meet the migration's bigint lock). */
const LABELER_LOCK = 0x6c61626c; // "labl"

async function lockLabeler(c: PgClient, labeler: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LABELER_LOCK, labeler]);
}

/**
 * Locks, in event_id order, the existing lease rows this transaction may change: the labeler's own and
 * the target clip's. Every transaction that changes several lease rows locks them this way first, so
 * concurrent ones wait for each other instead of deadlocking; a row another labeler takes over while
 * this waits no longer matches and is left alone.
 */
async function lockLeases(c: PgClient, labeler: string, target: string | null): Promise<void> {
  await c.query('SELECT 1 FROM label_leases WHERE labeler = $1 OR event_id = $2 ORDER BY event_id FOR UPDATE', [labeler, target ?? '']);
}

/** Leases the clip to the labeler unless another labeler holds a live lease on it; true when taken. */
async function takeLease(c: PgClient, eventId: string, labeler: string, now: number, leaseMs: number): Promise<boolean> {
  return (
    (await run(
      c,
      `INSERT INTO label_leases (event_id, labeler, expires_at) VALUES (@event_id, @labeler, @until)
       ON CONFLICT (event_id) DO UPDATE SET labeler = excluded.labeler, expires_at = excluded.expires_at
        WHERE label_leases.expires_at <= @now OR label_leases.labeler = excluded.labeler`,
      { event_id: eventId, labeler, until: Math.round(now + leaseMs), now },
    )) === 1
  );
}

/**
 * The SQLite pick order on one snapshot: the clip the labeler holds, else the priority order over a
 * random sample or the random-start scan, else their skipped clips in skip order. The scan order is
 * jump_events.id where SQLite scans snippets by rowid: snippets are enqueued in event id order
 * (src/store/snippets.ts enqueueNew), so both orders are the same.
 */
async function pick(c: PgClient, where: string, filtered: boolean, params: Record<string, unknown>, opts: LeaseOptions): Promise<ClipRow | undefined> {
  const held = (
    await rows<ClipRow>(
      c,
      `SELECT ${CLIP_COLUMNS} FROM label_leases h JOIN snippets s ON s.event_id = h.event_id ${CLIP_JOINS}
        WHERE h.labeler = @labeler AND h.expires_at > @now AND ${where} LIMIT 1`,
      params,
    )
  )[0];
  if (held) return held;
  let chosen: ClipRow | undefined;
  if (opts.priority) {
    const from = filtered ? CLIP_FROM : 'snippets s';
    const sample = await rows<ClipRow>(
      c,
      `SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE s.event_id IN
         (SELECT s.event_id FROM ${from} WHERE ${where} AND ${NOT_SKIPPED} ORDER BY random() LIMIT @limit)
        ORDER BY e.id`,
      { ...params, limit: opts.sample ?? 2000 },
    );
    let best = Infinity;
    for (const r of sample) {
      const p = opts.priority(r);
      if (p < best || chosen === undefined) {
        best = p;
        chosen = r;
      }
    }
  } else {
    const max = (await rows<{ m: number }>(c, 'SELECT coalesce(max(id), 0)::int8 AS m FROM jump_events'))[0]!.m + 1;
    const start = Math.floor((opts.rand ?? Math.random)() * max);
    const scan = async (range: string) =>
      (
        await rows<ClipRow>(
          c,
          `SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE ${range} AND ${where} AND ${NOT_SKIPPED} ORDER BY e.id LIMIT 1`,
          { ...params, start },
        )
      )[0];
    chosen = (await scan('e.id >= @start')) ?? (await scan('e.id < @start'));
  }
  chosen ??= (
    await rows<ClipRow>(
      c,
      `SELECT ${CLIP_COLUMNS} FROM label_skips k JOIN snippets s ON s.event_id = k.event_id ${CLIP_JOINS}
        WHERE k.labeler = @labeler AND ${where} ORDER BY k.seq LIMIT 1`,
      params,
    )
  )[0];
  return chosen;
}

/** Picks lost to a concurrent labeler before giving up (each loss means another clip was leased). */
const MAX_PICKS = 100;

const MIX_SUMS = `count(*) FILTER (WHERE l.label = 'good') AS good, count(*) FILTER (WHERE l.label = 'meh') AS meh,
                  count(*) FILTER (WHERE l.label = 'bad') AS bad, count(*) AS total`;

export function pgLabels(pool: PgPool): LabelsApi {
  const getLabel = async (c: PgClient | PgPool, eventId: string, labeler: string) =>
    (await rows<LabelRow>(c, 'SELECT * FROM labels WHERE event_id = @e AND labeler = @l', { e: eventId, l: labeler }))[0];

  return {
    leaseNext(labeler: string, filters: ClipFilters, opts: LeaseOptions): Promise<Lease | null> {
      const f = filterSql(filters);
      const where = eligible(opts.perClip, f.sql);
      const params = { ...f.params, labeler, now: opts.now, perClip: opts.perClip };
      // One transaction per attempt: a lost attempt changed nothing, and ending it releases the row it
      // locked out of order (a lease inserted after its lockLeases), so the next attempt locks in order again.
      const attempt = () =>
        pgTransaction(pool, async (c): Promise<Lease | null | 'lost'> => {
          await lockLabeler(c, labeler);
          const clip = await pick(c, where, f.sql !== '', params, opts);
          await lockLeases(c, labeler, clip?.event_id ?? null);
          const releaseOthers = () => run(c, 'DELETE FROM label_leases WHERE labeler = @labeler AND event_id <> @keep', { labeler, keep: clip?.event_id ?? '' });
          if (!clip) {
            await releaseOthers();
            return null;
          }
          // Another labeler leased it after this pick's snapshot: lost (the next snapshot sees their lease).
          if (!(await takeLease(c, clip.event_id, labeler, opts.now, opts.leaseMs))) return 'lost';
          // The pick's snapshot may predate a label committed since: its labeler's lease went with it, so
          // the lease insert met no conflict. A new statement sees that label; then give the lease back.
          const needed = await rows(c, `SELECT 1 FROM snippets s WHERE s.event_id = @e AND ${needsLabel(opts.perClip)}`, { e: clip.event_id, labeler, perClip: opts.perClip });
          if (needed.length === 0) {
            await run(c, 'DELETE FROM label_leases WHERE event_id = @e AND labeler = @labeler', { e: clip.event_id, labeler });
            return 'lost';
          }
          await releaseOthers();
          return { clip, expires_at: opts.now + opts.leaseMs };
        });
      return (async () => {
        for (let n = 1; ; n++) {
          const r = await attempt();
          if (r !== 'lost') return r;
          if (n >= MAX_PICKS) throw new HarmonizerError('CONFLICT', `no clip lease after ${n} attempts: every pick was leased to another labeler first`);
        }
      })();
    },

    async remaining(labeler: string, filters: ClipFilters, perClip: number) {
      const f = filterSql(filters);
      // The event join only when a filter reads the event: counting is a scan of every rendered clip.
      const from = f.sql === '' ? 'snippets s' : `snippets s ${CLIP_JOINS}`;
      const r = await rows<{ n: number }>(pool, `SELECT count(*) AS n FROM ${from} WHERE s.state = 'rendered' AND ${needsLabel(perClip)}${f.sql}`, {
        ...f.params,
        labeler,
        perClip,
      });
      return r[0]!.n;
    },

    async clip(eventId: string) {
      return (await rows<ClipRow>(pool, `SELECT ${CLIP_COLUMNS} FROM ${CLIP_FROM} WHERE s.event_id = @e AND s.state = 'rendered'`, { e: eventId }))[0];
    },

    upsert(d: { event_id: string; labeler: string; label: LabelValue; notes?: string; time_spent_ms: number | null; now: number }): Promise<LabelRow> {
      return pgTransaction(pool, async (c) => {
        await lockLabeler(c, d.labeler);
        // Lease rows before the label (whose trigger locks label_changes), in the order undo takes them:
        // a label and another labeler's undo on the same clip wait for each other instead of deadlocking.
        await lockLeases(c, d.labeler, d.event_id);
        await run(
          c,
          `INSERT INTO labels (event_id, labeler, label, notes, time_spent_ms, created_at, updated_at)
           VALUES (@event_id, @labeler, @label, @notes, @time_spent_ms, @now, @now)
           ON CONFLICT (event_id, labeler) DO UPDATE SET
             label = excluded.label,
             notes = CASE WHEN @keep_notes::boolean THEN labels.notes ELSE excluded.notes END,
             time_spent_ms = coalesce(excluded.time_spent_ms, labels.time_spent_ms),
             updated_at = excluded.updated_at`,
          {
            event_id: d.event_id,
            labeler: d.labeler,
            label: d.label,
            notes: d.notes === undefined || d.notes === '' ? null : d.notes,
            keep_notes: d.notes === undefined,
            time_spent_ms: d.time_spent_ms,
            now: d.now,
          },
        );
        await run(c, 'DELETE FROM label_leases WHERE event_id = @e AND labeler = @l', { e: d.event_id, l: d.labeler });
        return (await getLabel(c, d.event_id, d.labeler))!;
      });
    },

    get: (eventId: string, labeler: string) => getLabel(pool, eventId, labeler),

    async skip(labeler: string, eventId: string, now: number) {
      await pgTransaction(pool, async (c) => {
        await lockLabeler(c, labeler);
        await run(
          c,
          `INSERT INTO label_skips (labeler, event_id, seq, skipped_at)
           VALUES (@l, @e, (SELECT coalesce(max(seq), 0) + 1 FROM label_skips WHERE labeler = @l), @now)
           ON CONFLICT (labeler, event_id) DO UPDATE SET seq = excluded.seq, skipped_at = excluded.skipped_at`,
          { l: labeler, e: eventId, now },
        );
        await run(c, 'DELETE FROM label_leases WHERE event_id = @e AND labeler = @l', { e: eventId, l: labeler });
      });
    },

    undo(labeler: string, now: number, leaseMs: number) {
      return pgTransaction(pool, async (c) => {
        await lockLabeler(c, labeler);
        const last = (await rows<LabelRow>(c, 'SELECT * FROM labels WHERE labeler = @l ORDER BY id DESC LIMIT 1', { l: labeler }))[0];
        if (!last) return undefined;
        await lockLeases(c, labeler, last.event_id);
        await run(c, 'DELETE FROM labels WHERE id = @id', { id: last.id });
        await run(c, 'DELETE FROM label_leases WHERE labeler = @l', { l: labeler });
        return { removed: last, leased: await takeLease(c, last.event_id, labeler, now, leaseMs) };
      });
    },

    renewLease(eventId: string, labeler: string, now: number, leaseMs: number) {
      return pgTransaction(pool, async (c) => {
        await lockLabeler(c, labeler);
        await lockLeases(c, labeler, eventId);
        const renewed = await takeLease(c, eventId, labeler, now, leaseMs);
        if (renewed) await run(c, 'DELETE FROM label_leases WHERE labeler = @l AND event_id <> @e', { l: labeler, e: eventId });
        return { renewed, expires_at: now + leaseMs };
      });
    },

    // Multi-row deletes lock their rows in event_id order too (see lockLeases).
    release: (labeler: string) =>
      run(pool, 'DELETE FROM label_leases WHERE event_id IN (SELECT event_id FROM label_leases WHERE labeler = @l ORDER BY event_id FOR UPDATE) AND labeler = @l', { l: labeler }),

    deleteExpiredLeases: (now: number) =>
      run(pool, 'DELETE FROM label_leases WHERE event_id IN (SELECT event_id FROM label_leases WHERE expires_at <= @now ORDER BY event_id FOR UPDATE) AND expires_at <= @now', { now }),

    recent: (labeler: string, limit: number) =>
      rows<RecentDecision>(
        pool,
        `SELECT l.*, e.track_id, coalesce(t.title, e.track_title, e.track_id) AS track_title, e.source_index, e.target_index
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id LEFT JOIN tracks t ON t.track_id = e.track_id
          WHERE l.labeler = @l ORDER BY l.id DESC LIMIT @limit`,
        { l: labeler, limit },
      ),

    async countBy(labeler: string, since: number) {
      const r = await rows<{ total: number; since: number }>(
        pool,
        'SELECT count(*) AS total, count(*) FILTER (WHERE created_at >= @since) AS since FROM labels WHERE labeler = @l',
        { since, l: labeler },
      );
      return r[0]!;
    },

    async count() {
      return (await rows<{ n: number }>(pool, 'SELECT count(*) AS n FROM labels'))[0]!.n;
    },

    // The labels table always exists here (the store migrates before use), unlike an old SQLite file opened read-only.
    async mix() {
      const overall = (await rows<LabelMix>(pool, `SELECT ${MIX_SUMS} FROM labels l`))[0]!;
      const group = async (sql: string) => {
        const out: Record<string, LabelMix> = {};
        for (const r of await rows<LabelMix & { k: string }>(pool, sql)) {
          const { k, ...m } = r;
          out[k] = m;
        }
        return out;
      };
      return {
        overall,
        per_arm: await group(
          `SELECT coalesce(e.policy_mode, 'none') AS k, ${MIX_SUMS} FROM labels l JOIN jump_events e ON e.event_id = l.event_id
            GROUP BY 1 ORDER BY coalesce(e.policy_mode, 'none') COLLATE "C"`,
        ),
        per_labeler: await group(`SELECT l.labeler AS k, ${MIX_SUMS} FROM labels l GROUP BY 1 ORDER BY l.labeler COLLATE "C"`),
      };
    },

    clipCounts: (minLabels = 2) =>
      rows<{ good: number; meh: number; bad: number }>(
        pool,
        `SELECT count(*) FILTER (WHERE label = 'good') AS good, count(*) FILTER (WHERE label = 'meh') AS meh,
                count(*) FILTER (WHERE label = 'bad') AS bad
           FROM labels GROUP BY event_id HAVING count(*) >= @min ORDER BY event_id COLLATE "C"`,
        { min: minLabels },
      ),

    /** Every label with its event's fields, oldest first; read at once (the SQLite caller collects them too). */
    async iterateExport(): Promise<IterableIterator<LabelExportRow>> {
      const r = await rows<LabelExportRow>(
        pool,
        `SELECT l.*, e.track_id, coalesce(t.title, e.track_title) AS track_title, e.mode, e.source_index, e.target_index,
                e.source_time, e.target_time, e.similarity, e.policy_mode, e.model_version
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id LEFT JOIN tracks t ON t.track_id = e.track_id
          ORDER BY l.id`,
      );
      return r.values();
    },
  };
}
