import type { Db } from './sqlite.js';

export interface ModelRow {
  version: string;
  created_at: string;
  promoted: number;
  active: number;
  reason: string;
  n_examples: number;
  data_hash: string;
  training_ms: number;
  metrics: string;
  model_json: string;
}

/** Labeled jump as training reads it: the event's feature fields and every label it received. */
export interface LabeledJumpRow {
  event_id: string;
  similarity: number | null;
  span: number | null;
  same_section: boolean | null;
  context: Record<string, unknown> | null;
  labels: ('good' | 'meh' | 'bad')[];
}

/** The models table and the training dataset query. */
export class ModelStore {
  constructor(private readonly db: Db) {}

  /** Records a trained model; when `activate`, it becomes the only active one (same transaction). */
  record(m: { version: string; created_at: string; n_examples: number; data_hash: string; training_ms: number; metrics: unknown }, json: string, promoted: boolean, reason: string): void {
    this.db.transaction(() => {
      if (promoted) this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
      this.db
        .prepare(
          `INSERT OR REPLACE INTO models (version, created_at, promoted, active, reason, n_examples, data_hash, training_ms, metrics, model_json)
           VALUES (@version, @created_at, @promoted, @active, @reason, @n_examples, @data_hash, @training_ms, @metrics, @model_json)`,
        )
        .run({
          version: m.version, created_at: m.created_at, promoted: promoted ? 1 : 0, active: promoted ? 1 : 0, reason,
          n_examples: m.n_examples, data_hash: m.data_hash, training_ms: m.training_ms, metrics: JSON.stringify(m.metrics), model_json: json,
        });
    })();
  }

  active(): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM models WHERE active = 1').get() as ModelRow | undefined;
  }

  /** The active model's version alone (versions never change content): what a follower polls. */
  activeVersion(): string | null {
    return (this.db.prepare('SELECT version FROM models WHERE active = 1').pluck().get() as string | undefined) ?? null;
  }

  list(limit = 20): ModelRow[] {
    return this.db.prepare('SELECT * FROM models ORDER BY created_at DESC LIMIT ?').all(limit) as ModelRow[];
  }

  /** Every labeled jump with its labels (the latest label of each labeler), for training. */
  labeledJumps(): LabeledJumpRow[] {
    const rows = this.db
      .prepare(
        `SELECT e.event_id, e.similarity, e.span, e.same_section, e.context, group_concat(l.label) AS labels
           FROM labels l JOIN jump_events e ON e.event_id = l.event_id
          GROUP BY e.event_id ORDER BY e.event_id`,
      )
      .all() as { event_id: string; similarity: number | null; span: number | null; same_section: number | null; context: string | null; labels: string }[];
    return rows.map((r) => ({
      event_id: r.event_id,
      similarity: r.similarity,
      span: r.span,
      same_section: r.same_section === null ? null : r.same_section === 1,
      context: r.context === null ? null : (JSON.parse(r.context) as Record<string, unknown>),
      labels: r.labels.split(',') as LabeledJumpRow['labels'],
    }));
  }
}
