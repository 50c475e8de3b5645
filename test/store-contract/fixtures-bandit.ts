import type { RewardRow, Store, StoreApi } from '../../src/store/index.js';
import type { PgStore } from '../../src/store/pg/index.js';
import { storedEvent } from './context.js';

/**
 * Labels for the bandit and models contracts, written by plain SQL on both backends: these contracts
 * test the readers of the labels table (labelsByEvent, the change counter its triggers keep,
 * labeledJumps), not the labeler's writes, which the labels contract covers.
 */
export async function putLabel(s: StoreApi, eventId: string, labeler: string, label: 'good' | 'meh' | 'bad', now = 1): Promise<void> {
  if (s.kind === 'postgres') {
    await (s as PgStore).pool.query(
      `INSERT INTO labels (event_id, labeler, label, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (event_id, labeler) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at`,
      [eventId, labeler, label, now],
    );
  } else {
    (s as unknown as { sync: Store }).sync.db
      .prepare(
        `INSERT INTO labels (event_id, labeler, label, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (event_id, labeler) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at`,
      )
      .run(eventId, labeler, label, now, now);
  }
}

export async function dropLabel(s: StoreApi, eventId: string, labeler: string): Promise<void> {
  if (s.kind === 'postgres') await (s as PgStore).pool.query('DELETE FROM labels WHERE event_id = $1 AND labeler = $2', [eventId, labeler]);
  else (s as unknown as { sync: Store }).sync.db.prepare('DELETE FROM labels WHERE event_id = ? AND labeler = ?').run(eventId, labeler);
}

/** A jump event whose candidates and dwell the join reads as two decisions. */
export function decisionEvent(over: Record<string, unknown> = {}) {
  return storedEvent({
    policy_mode: 'rl',
    target_index: 42,
    candidates: [
      { target_index: 42, features: { similarity: 0.9, span: 32 }, probability: 0.5, chosen: true },
      { target_index: 50, features: { similarity: 0.8, span: 40 }, probability: 0.5, chosen: false },
    ],
    context: { dwell: { index: 2, bars: 2, beats: 8, probabilities: [0.2, 0.2, 0.2, 0.2, 0.2], scores: [0, 0, 0, 0, 0], propensity: 0.2, policy_version: 'cold-start' } },
    ...over,
  } as never);
}

export const rewardRow = (over: Partial<RewardRow> & Pick<RewardRow, 'decision_id' | 'event_id'>): RewardRow => ({
  kind: 'jump', reward: null, source: 'pending', weight: 1, detail: null, updated_at: 1000, ...over,
});

export const signal = (id: string, session: string, kind: string, clientTs: number, after: string | null, ms: number | null) => ({
  signal_id: id, session_id: session, track_id: 'demo', kind, position_s: 1, beat_index: 1, after_jump_event_id: after, ms_since_jump: ms, policy_mode: 'rl', client_ts: clientTs, received_at: 1000,
});
