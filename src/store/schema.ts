/**
 * Schema migrations, applied in order and recorded in SQLite's `user_version`.
 * A migration is never edited once released: add a new one instead.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jump events, dead letters, policy assignments',
    sql: `
      CREATE TABLE jump_events (
        id            INTEGER PRIMARY KEY,
        event_id      TEXT    NOT NULL UNIQUE,
        session_id    TEXT    NOT NULL,
        track_id      TEXT    NOT NULL,
        track_title   TEXT,
        mode          TEXT    NOT NULL,
        source_index  INTEGER NOT NULL,
        target_index  INTEGER NOT NULL,
        source_time   REAL    NOT NULL,
        target_time   REAL    NOT NULL,
        similarity    REAL,
        span          INTEGER,
        same_section  INTEGER,
        policy_mode   TEXT,
        model_version TEXT,
        quality_score REAL,
        propensity    REAL,
        candidates    TEXT,
        settings      TEXT,
        context       TEXT,
        client_ts     REAL,
        received_at   INTEGER NOT NULL
      );
      CREATE INDEX jump_events_received_at ON jump_events(received_at);

      -- The ingest inbox: beacons commit here, append-only (ordered rowid, no secondary index), so
      -- a commit writes a few sequential pages instead of one random UNIQUE-index page per event.
      -- The writer merges it into jump_events in large chunks sorted by event_id (see EventStore).
      CREATE TABLE jump_events_inbox (
        id          INTEGER PRIMARY KEY,
        event_id    TEXT    NOT NULL,
        received_at INTEGER NOT NULL,
        -- The event as one JSON object (the same text as its JSONL mirror line): one bind per
        -- event on the hot path; the merge extracts the columns with SQLite's JSON functions.
        line        TEXT    NOT NULL
      );

      CREATE TABLE rejected_events (
        id          INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        reason      TEXT    NOT NULL,
        detail      TEXT,
        raw         TEXT
      );

      CREATE TABLE policy_assignments (
        session_id    TEXT PRIMARY KEY,
        arm           TEXT NOT NULL CHECK (arm IN ('baseline', 'rl')),
        probability   REAL NOT NULL,
        mode          TEXT NOT NULL,
        eps           REAL NOT NULL,
        model_version TEXT,
        reason        TEXT,
        assigned_at   INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'tracks and the snippet render queue',
    sql: `
      CREATE TABLE tracks (
        track_id    TEXT PRIMARY KEY,
        title       TEXT NOT NULL,
        path        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        duration    REAL NOT NULL,
        sample_rate INTEGER NOT NULL,
        channels    INTEGER NOT NULL,
        added_at    INTEGER NOT NULL
      );

      -- One row per jump event once the renderer has seen it. state: pending -> rendering (a lease
      -- until lease_expires_at) -> rendered | failed. attempts counts failed renders.
      CREATE TABLE snippets (
        event_id         TEXT PRIMARY KEY,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'rendering', 'rendered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        lease_owner      TEXT,
        lease_expires_at INTEGER,
        last_error       TEXT,
        path             TEXT,
        ref_path         TEXT,
        duration_s       REAL,
        splice_offset_s  REAL,
        pre_s            REAL,
        post_s           REAL,
        crossfade_ms     REAL,
        render_ms        REAL,
        enqueued_at      INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      );
      CREATE INDEX snippets_state ON snippets(state, lease_expires_at);

      -- Single-row cursor: jump_events.id up to which events have been enqueued for rendering.
      CREATE TABLE render_cursor (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        last_event  INTEGER NOT NULL
      );
      INSERT INTO render_cursor (id, last_event) VALUES (1, 0);
    `,
  },
  {
    version: 3,
    name: 'labels, labeler leases and skips',
    sql: `
      -- One row per (clip, labeler): a labeler's newer decision on a clip replaces the older one
      -- (latest wins), so count(*) per clip is the number of labelers who judged it. id grows with
      -- each first decision: the labeler's highest id is what undo takes back.
      CREATE TABLE labels (
        id            INTEGER PRIMARY KEY,
        event_id      TEXT    NOT NULL,
        labeler       TEXT    NOT NULL,
        label         TEXT    NOT NULL CHECK (label IN ('good', 'meh', 'bad')),
        notes         TEXT,
        time_spent_ms INTEGER,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (event_id, labeler)
      );
      CREATE INDEX labels_labeler ON labels(labeler, id);

      -- Who is looking at a clip: while expires_at is in the future nobody else receives it.
      CREATE TABLE label_leases (
        event_id   TEXT    PRIMARY KEY,
        labeler    TEXT    NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX label_leases_labeler ON label_leases(labeler);

      -- Skipped clips go to the end of that labeler's queue, in skip order (seq). Not a label.
      CREATE TABLE label_skips (
        labeler    TEXT    NOT NULL,
        event_id   TEXT    NOT NULL,
        seq        INTEGER NOT NULL,
        skipped_at INTEGER NOT NULL,
        PRIMARY KEY (labeler, event_id)
      );
    `,
  },
  {
    version: 4,
    name: 'trained models',
    sql: `
      -- Every trained model, promoted or not; exactly one row is active at a time (the one whose
      -- JSON is $RL_DATA_DIR/model.json).
      CREATE TABLE models (
        version     TEXT PRIMARY KEY,
        created_at  TEXT    NOT NULL,
        promoted    INTEGER NOT NULL,
        active      INTEGER NOT NULL DEFAULT 0,
        reason      TEXT    NOT NULL,
        n_examples  INTEGER NOT NULL,
        data_hash   TEXT    NOT NULL,
        training_ms REAL    NOT NULL,
        metrics     TEXT    NOT NULL,
        model_json  TEXT    NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'listener signals',
    sql: `
      -- What listeners did around jumps (seek, skip, pause, leave ...): implicit rewards for later
      -- policies. Kept apart from jump_events, which holds jump decisions only.
      CREATE TABLE listener_events (
        id                  INTEGER PRIMARY KEY,
        signal_id           TEXT    NOT NULL UNIQUE,
        session_id          TEXT    NOT NULL,
        track_id            TEXT    NOT NULL,
        kind                TEXT    NOT NULL,
        position_s          REAL    NOT NULL,
        beat_index          INTEGER,
        after_jump_event_id TEXT,
        ms_since_jump       REAL,
        policy_mode         TEXT,
        client_ts           REAL,
        received_at         INTEGER NOT NULL
      );
      CREATE INDEX listener_events_jump ON listener_events(after_jump_event_id);
    `,
  },
  {
    version: 6,
    name: 'ingest inbox holds one row per group commit',
    sql: `
      -- One row per group commit instead of one per event: a commit then inserts a single row
      -- (the batch's mirror lines, joined by newlines), whatever the number of events in it.
      ALTER TABLE jump_events_inbox RENAME TO jump_events_inbox_v1;
      CREATE TABLE jump_events_inbox (
        id          INTEGER PRIMARY KEY,
        -- The earliest received_at of the batch (each line carries its own).
        received_at INTEGER NOT NULL,
        events      INTEGER NOT NULL,
        lines       TEXT    NOT NULL
      );
      INSERT INTO jump_events_inbox (received_at, events, lines)
        SELECT received_at, 1, line FROM jump_events_inbox_v1 ORDER BY id;
      DROP TABLE jump_events_inbox_v1;
    `,
  },
  {
    version: 7,
    name: 'mirror cursor',
    sql: `
      -- How much of the JSONL mirror is known to be in SQLite: its size in bytes after the lines of
      -- the last committed group, updated in that group's transaction, and which file that was
      -- (device:inode). Start-up recovery reads the same file from here instead of from the start;
      -- another file (a restored or replaced mirror) is read whole.
      CREATE TABLE mirror_cursor (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        committed_bytes INTEGER NOT NULL,
        file_id         TEXT
      );
      INSERT INTO mirror_cursor (id, committed_bytes, file_id) VALUES (1, 0, NULL);
    `,
  },
  {
    version: 8,
    name: 'bandit rewards, reward log, policy versions',
    sql: `
      -- Session lookups of the reward join: a session's later decisions and signals.
      CREATE INDEX jump_events_session ON jump_events(session_id, client_ts);
      CREATE INDEX listener_events_session ON listener_events(session_id, client_ts);

      -- The reward of each bandit decision (src/learn/rewards.ts states the rule): one row per
      -- decision, decision_id = event_id for a jump, event_id || '#dwell' for the dwell after it.
      -- source: pending (not known yet), implicit (listener signals), label (labels replace the
      -- implicit reward), none (no reward: paused, or nothing known after the grace period).
      CREATE TABLE rewards (
        decision_id TEXT    PRIMARY KEY,
        event_id    TEXT    NOT NULL,
        kind        TEXT    NOT NULL CHECK (kind IN ('jump', 'dwell')),
        reward      REAL,
        source      TEXT    NOT NULL CHECK (source IN ('pending', 'implicit', 'label', 'none')),
        weight      REAL    NOT NULL,
        detail      TEXT,
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX rewards_source ON rewards(source);
      CREATE INDEX rewards_event ON rewards(event_id);

      -- The learner's input, append-only: every change of a decision's reward, in the order the
      -- learner applies them (a replay of this log rebuilds the same policy versions). reward NULL
      -- retracts the previous one; prev_* is what the entry replaces.
      CREATE TABLE reward_log (
        seq         INTEGER PRIMARY KEY,
        decision_id TEXT    NOT NULL,
        event_id    TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        reward      REAL,
        weight      REAL    NOT NULL,
        prev_reward REAL,
        prev_weight REAL,
        source      TEXT    NOT NULL,
        logged_at   INTEGER NOT NULL
      );

      -- Every published bandit policy; at most one active (its JSON is $RL_DATA_DIR/policy.json).
      CREATE TABLE bandit_policies (
        version     TEXT    PRIMARY KEY,
        created_at  TEXT    NOT NULL,
        status      TEXT    NOT NULL CHECK (status IN ('active', 'candidate', 'retired')),
        first_seq   INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL,
        rewards     INTEGER NOT NULL,
        reason      TEXT    NOT NULL,
        evaluation  TEXT,
        policy_json TEXT    NOT NULL
      );
      CREATE INDEX bandit_policies_status ON bandit_policies(status, last_seq);

      -- How far the reward join has read jump_events (by id).
      CREATE TABLE reward_cursor (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        last_event INTEGER NOT NULL
      );
      INSERT INTO reward_cursor (id, last_event) VALUES (1, 0);
    `,
  },
  {
    version: 9,
    name: 'label change counter',
    sql: `
      -- Bumped by every insert, update and delete of a label, so the reward join can tell exactly
      -- whether any label changed since its last pass (a fingerprint of the table could miss an
      -- update that keeps its count and its newest timestamp).
      CREATE TABLE label_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n  INTEGER NOT NULL
      );
      INSERT INTO label_changes (id, n) VALUES (1, 0);
      CREATE TRIGGER labels_changed_insert AFTER INSERT ON labels BEGIN UPDATE label_changes SET n = n + 1 WHERE id = 1; END;
      CREATE TRIGGER labels_changed_update AFTER UPDATE ON labels BEGIN UPDATE label_changes SET n = n + 1 WHERE id = 1; END;
      CREATE TRIGGER labels_changed_delete AFTER DELETE ON labels BEGIN UPDATE label_changes SET n = n + 1 WHERE id = 1; END;
    `,
  },
  {
    version: 10,
    name: 'dashboard time indexes',
    sql: `
      -- The dashboard's snippet queue over time reads time ranges of these two columns.
      CREATE INDEX snippets_enqueued ON snippets(enqueued_at);
      CREATE INDEX snippets_updated ON snippets(updated_at);
      CREATE INDEX labels_created ON labels(created_at);
    `,
  },
  {
    version: 11,
    name: 'dead letters per body with sizes; tracks by content',
    sql: `
      -- One dead letter per refused body: how many items it stands for, and its size, so the table can be
      -- kept under RL_REJECTED_MAX_MB by dropping the oldest letters.
      ALTER TABLE rejected_events ADD COLUMN items INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE rejected_events ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE rejected_events SET bytes = 64 + length(CAST(reason AS BLOB))
        + coalesce(length(CAST(detail AS BLOB)), 0) + coalesce(length(CAST(raw AS BLOB)), 0);
      -- Uploads are deduplicated by content.
      CREATE INDEX tracks_sha256 ON tracks(sha256);
    `,
  },
  {
    version: 12,
    name: 'snippet retry backoff',
    sql: `
      -- A snippet that failed for a temporary reason (a folder's permissions, a full disk) waits in
      -- pending until this time (ms since the epoch; 0 = at once) before it may be leased again.
      ALTER TABLE snippets ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
      -- The lease query: pending rows that are due.
      CREATE INDEX snippets_due ON snippets(state, next_attempt_at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
