import type { TracksApi } from '../api.js';
import type { TrackRow } from '../tracks.js';
import type { PgPool } from './pool.js';

/** The tracks table on PostgreSQL: the SQLite TrackStore's statements, text ordered byte-wise as SQLite does. */
export function pgTracks(pool: PgPool): TracksApi {
  return {
    async get(trackId: string) {
      const r = await pool.query<TrackRow>('SELECT * FROM tracks WHERE track_id = $1', [trackId]);
      return r.rows[0];
    },
    async upsert(t: TrackRow) {
      await pool.query(
        `INSERT INTO tracks (track_id, title, path, sha256, duration, sample_rate, channels, added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (track_id) DO UPDATE SET title = excluded.title, path = excluded.path,
           sha256 = excluded.sha256, duration = excluded.duration, sample_rate = excluded.sample_rate,
           channels = excluded.channels, added_at = excluded.added_at`,
        [t.track_id, t.title, t.path, t.sha256, t.duration, t.sample_rate, t.channels, t.added_at],
      );
    },
    async insertNew(t: TrackRow) {
      const r = await pool.query(
        `INSERT INTO tracks (track_id, title, path, sha256, duration, sample_rate, channels, added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (track_id) DO NOTHING`,
        [t.track_id, t.title, t.path, t.sha256, t.duration, t.sample_rate, t.channels, t.added_at],
      );
      return r.rowCount === 1;
    },
    async bySha256(sha256: string) {
      const r = await pool.query<TrackRow>('SELECT * FROM tracks WHERE sha256 = $1 ORDER BY added_at, track_id COLLATE "C" LIMIT 1', [sha256]);
      return r.rows[0];
    },
    async list() {
      const r = await pool.query<TrackRow>('SELECT * FROM tracks ORDER BY added_at, track_id COLLATE "C"');
      return r.rows;
    },
  };
}
