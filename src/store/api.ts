import type { EventStore } from './events.js';
import type { PolicyStore } from './policy.js';
import type { TelemetryStore } from './telemetry.js';
import type { TrackStore } from './tracks.js';
import type { SnippetStore } from './snippets.js';
import type { ModelStore } from './models.js';
import type { LabelStore } from './labels.js';
import type { BanditStore } from './bandit.js';
import type { DashboardStore } from './dashboard.js';

/**
 * The store's interface for its callers, one for both implementations (SQLite, PostgreSQL). It is
 * derived from the SQLite domain classes, so the two cannot drift apart: every public method of a
 * domain, returning a Promise. PostgreSQL clients are asynchronous; the SQLite implementation runs each
 * call in its own synchronous transaction inside (never an await inside one) and resolves with the result.
 */
export type Async<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * The ingest writer's own statements (inbox, mirror cursor, dead-letter trim) are not part of the
 * interface: on SQLite they run in the writer thread's transactions (src/ingest/commit.ts), on
 * PostgreSQL in src/store/pg/ingest.ts under the node's group commit.
 */
type WriterOnly = 'stageBatch' | 'mergeInbox' | 'mergeAll' | 'inboxSize' | 'mirrorCursor' | 'setMirrorCursor' | 'insertRejected' | 'forgetRejectedTotal' | 'trimRejected' | 'insert' | 'iterate' | 'deleteAll';

export type EventsApi = Async<Omit<EventStore, WriterOnly>>;
export type PolicyApi = Async<PolicyStore>;
export type TelemetryApi = Async<TelemetryStore>;
export type TracksApi = Async<TrackStore>;
export type SnippetsApi = Async<SnippetStore>;
export type ModelsApi = Async<ModelStore>;
export type LabelsApi = Async<LabelStore>;
export type BanditApi = Async<BanditStore>;
export type DashboardApi = Async<DashboardStore>;

export type StoreKind = 'sqlite' | 'postgres';

export interface StoreApi {
  readonly kind: StoreKind;
  /** Where the data lives, for messages: the SQLite path or the PostgreSQL URL without its password. */
  readonly location: string;
  readonly events: EventsApi;
  readonly policy: PolicyApi;
  readonly telemetry: TelemetryApi;
  readonly tracks: TracksApi;
  readonly snippets: SnippetsApi;
  readonly models: ModelsApi;
  readonly labels: LabelsApi;
  readonly bandit: BanditApi;
  readonly dashboard: DashboardApi;
  close(): Promise<void>;
}

export const DOMAINS = ['events', 'policy', 'telemetry', 'tracks', 'snippets', 'models', 'labels', 'bandit', 'dashboard'] as const;
export type Domain = (typeof DOMAINS)[number];
