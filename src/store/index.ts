import { openDatabase, migrate, type Db, type OpenOptions } from './sqlite.js';
import { EventStore } from './events.js';
import { PolicyStore } from './policy.js';
import { TelemetryStore } from './telemetry.js';
import { TrackStore } from './tracks.js';
import { SnippetStore } from './snippets.js';
import { ModelStore } from './models.js';
import { LabelStore } from './labels.js';
import { BanditStore } from './bandit.js';
import { DashboardStore } from './dashboard.js';

export type { Db } from './sqlite.js';
export type { InsertResult } from './events.js';
export type { Assignment, ArmEvidence } from './policy.js';
export type { ArmCounts } from './telemetry.js';
export type { TrackRow } from './tracks.js';
export type { RenderJob, RenderedMeta, SnippetRow, SnippetState } from './snippets.js';
export { MAX_RENDER_ATTEMPTS } from './snippets.js';
export type { ModelRow, LabeledJumpRow } from './models.js';
export type { LabelValue, LabelRow, RecentDecision, ClipFilters, ClipRow, Lease, LeaseOptions, LabelMix, LabelExportRow } from './labels.js';
export { LABEL_VALUES } from './labels.js';
export type { DecisionRow, RewardRow, RewardLogEntry, RewardSource, SignalFact, PolicyRow, PolicyStatus, EvaluationRow, BanditKind, RewardState, RewardChange, JoinChanges, JoinApplied, JoinFacts } from './bandit.js';
export type { BucketRow, WorstJumpRow } from './dashboard.js';
export { SCHEMA_VERSION } from './schema.js';

/**
 * The SQLite store: every SQL statement of Harmonizer RL lives behind this module. Callers use its
 * asynchronous view, StoreApi (api.ts, derived from these domain classes; src/store/pg implements the
 * same for PostgreSQL), opened by openStore; the ingest writer uses the synchronous classes inside its
 * own transactions. One Store per process and role: the ingest writer owns the write connection;
 * other roles open their own connection to the same file.
 */
export class Store {
  readonly events: EventStore;
  readonly policy: PolicyStore;
  readonly telemetry: TelemetryStore;
  readonly tracks: TrackStore;
  readonly snippets: SnippetStore;
  readonly models: ModelStore;
  readonly labels: LabelStore;
  readonly bandit: BanditStore;
  readonly dashboard: DashboardStore;

  private constructor(readonly db: Db) {
    this.events = new EventStore(db);
    this.policy = new PolicyStore(db);
    this.telemetry = new TelemetryStore(db);
    this.tracks = new TrackStore(db);
    this.snippets = new SnippetStore(db);
    this.models = new ModelStore(db);
    this.labels = new LabelStore(db);
    this.bandit = new BanditStore(db);
    this.dashboard = new DashboardStore(db);
  }

  /** Opens (creating if needed) and migrates the SQLite file at `path`. */
  static open(path: string, opts: OpenOptions = {}): Store {
    const db = openDatabase(path, opts);
    try {
      if (!opts.readonly) migrate(db);
      return new Store(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs `fn` in one synchronous transaction (fn must not be async). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Runs `fn` in one IMMEDIATE transaction: it takes the write lock first, so a read-then-write never meets SQLITE_BUSY_SNAPSHOT. */
  immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** True when a write transaction can be taken now (health check). */
  canWrite(): boolean {
    try {
      this.db.exec('BEGIN IMMEDIATE; ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export type { StoreApi, StoreKind, Async, EventsApi, PolicyApi, TelemetryApi, TracksApi, SnippetsApi, ModelsApi, LabelsApi, BanditApi, DashboardApi } from './api.js';
export { sqliteApi } from './sqlite-api.js';
export { openStore, storeTarget, type StoreTarget } from './open.js';
