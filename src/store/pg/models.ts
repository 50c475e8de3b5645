import type { ModelsApi } from '../api.js';
import type { LabeledJumpRow, ModelRow } from '../models.js';
import { pgTransaction, type PgPool } from './pool.js';

/** Serializes the models that become active (two trainers promoting at once must leave one active row). */
const MODELS_LOCK = 0x726c5f6d6f64; // "rl_mod"

/** The models table and the training dataset query on PostgreSQL, the same semantics as src/store/models.ts. */
export function pgModels(pool: PgPool): ModelsApi {
  return {
    record: (m: { version: string; created_at: string; n_examples: number; data_hash: string; training_ms: number; metrics: unknown }, json: string, promoted: boolean, reason: string) =>
      pgTransaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MODELS_LOCK]);
        if (promoted) await c.query('UPDATE models SET active = 0 WHERE active = 1');
        // SQLite's INSERT OR REPLACE: the whole row is replaced.
        await c.query(
          `INSERT INTO models (version, created_at, promoted, active, reason, n_examples, data_hash, training_ms, metrics, model_json)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (version) DO UPDATE SET created_at = excluded.created_at, promoted = excluded.promoted, active = excluded.active,
             reason = excluded.reason, n_examples = excluded.n_examples, data_hash = excluded.data_hash, training_ms = excluded.training_ms,
             metrics = excluded.metrics, model_json = excluded.model_json`,
          [m.version, m.created_at, promoted ? 1 : 0, promoted ? 1 : 0, reason, m.n_examples, m.data_hash, m.training_ms, JSON.stringify(m.metrics), json],
        );
      }),

    async active() {
      return (await pool.query<ModelRow>('SELECT * FROM models WHERE active = 1')).rows[0];
    },

    async activeVersion() {
      return (await pool.query<{ version: string }>('SELECT version FROM models WHERE active = 1')).rows[0]?.version ?? null;
    },

    async list(limit = 20) {
      return (await pool.query<ModelRow>('SELECT * FROM models ORDER BY created_at COLLATE "C" DESC LIMIT $1', [limit])).rows;
    },

    async labeledJumps() {
      const r = await pool.query<{ event_id: string; similarity: number | null; span: number | null; same_section: number | null; context: string | null; labels: string }>(
        `SELECT e.event_id, e.similarity, e.span, e.same_section, e.context, string_agg(l.label, ',' ORDER BY l.id) AS labels
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id
          GROUP BY e.event_id, e.similarity, e.span, e.same_section, e.context ORDER BY e.event_id COLLATE "C"`,
      );
      return r.rows.map(
        (row): LabeledJumpRow => ({
          event_id: row.event_id,
          similarity: row.similarity,
          span: row.span,
          same_section: row.same_section === null ? null : row.same_section === 1,
          context: row.context === null ? null : (JSON.parse(row.context) as Record<string, unknown>),
          labels: row.labels.split(',') as LabeledJumpRow['labels'],
        }),
      );
    },
  };
}
