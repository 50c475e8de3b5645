/**
 * The naive baseline, like a typical first version: node:http, better-sqlite3 with
 * synchronous=FULL, one INSERT (its own transaction) per request, answered after the insert.
 * usage: node naive-server.js DB_PATH
 */
import { createServer } from 'node:http';
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS jump_events (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,
  session_id TEXT, track_id TEXT, mode TEXT, source_index INTEGER, target_index INTEGER, source_time REAL,
  target_time REAL, payload TEXT, received_at INTEGER)`);
const insert = db.prepare(`INSERT OR IGNORE INTO jump_events (event_id, session_id, track_id, mode, source_index,
  target_index, source_time, target_time, payload, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)`);

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const e of Array.isArray(body) ? body : [body]) {
        insert.run(e.event_id, e.session_id, e.track_id, e.mode, e.source_index, e.target_index, e.source_time, e.target_time, JSON.stringify(e), Date.now());
      }
      res.writeHead(204).end();
    } catch {
      res.writeHead(400).end();
    }
  });
}).listen(0, '127.0.0.1', function (this: import('node:net').Server) {
  console.log(`listening on http://127.0.0.1:${(this.address() as import('node:net').AddressInfo).port}`);
});
