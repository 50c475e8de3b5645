import type { Db } from './sqlite.js';

export interface TrackRow {
  track_id: string;
  title: string;
  /** Absolute path of the stored copy under $RL_DATA_DIR/tracks. */
  path: string;
  sha256: string;
  duration: number;
  sample_rate: number;
  channels: number;
  added_at: number;
}

/** The tracks table: registered audio files that jump events name by track_id. */
export class TrackStore {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly insertNewStmt;

  constructor(private readonly db: Db) {
    this.insertNewStmt = db.prepare(
      `INSERT INTO tracks (track_id, title, path, sha256, duration, sample_rate, channels, added_at)
       VALUES (@track_id, @title, @path, @sha256, @duration, @sample_rate, @channels, @added_at)
       ON CONFLICT (track_id) DO NOTHING`,
    );
    this.getStmt = db.prepare('SELECT * FROM tracks WHERE track_id = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO tracks (track_id, title, path, sha256, duration, sample_rate, channels, added_at)
       VALUES (@track_id, @title, @path, @sha256, @duration, @sample_rate, @channels, @added_at)
       ON CONFLICT (track_id) DO UPDATE SET title = excluded.title, path = excluded.path,
         sha256 = excluded.sha256, duration = excluded.duration, sample_rate = excluded.sample_rate,
         channels = excluded.channels, added_at = excluded.added_at`,
    );
  }

  get(trackId: string): TrackRow | undefined {
    return this.getStmt.get(trackId) as TrackRow | undefined;
  }

  /** Registers a track or replaces the registration of the same id. */
  upsert(t: TrackRow): void {
    this.upsertStmt.run(t);
  }

  /** Registers a track unless its id is taken (by another node or process, say): true when this row was stored. */
  insertNew(t: TrackRow): boolean {
    return this.insertNewStmt.run(t).changes === 1;
  }

  /** The track stored with this content, if any (the first registered). */
  bySha256(sha256: string): TrackRow | undefined {
    return this.db.prepare('SELECT * FROM tracks WHERE sha256 = ? ORDER BY added_at, track_id LIMIT 1').get(sha256) as TrackRow | undefined;
  }

  list(): TrackRow[] {
    return this.db.prepare('SELECT * FROM tracks ORDER BY added_at, track_id').all() as TrackRow[];
  }
}
