import type { JumpEvent } from '../../src/shared/jump-event.js';

/**
 * Logged jumps where candidate 1 is clearly better than the baseline's nearest (candidate 0): events
 * `from`…`from + n - 1`, 50 per session, each choosing a candidate by `rand` (uniform at the cold start).
 * The learner tests label them with the same `rand` afterwards (0.25 vs 0.85 good), enough for the
 * gate to promote a policy.
 */
export function learnerEvents(rand: () => number, from: number, n: number): JumpEvent[] {
  const events: JumpEvent[] = [];
  for (let i = from; i < from + n; i++) {
    const chosen = rand() < 0.5 ? 0 : 1;
    events.push({
      event_id: `e${String(i).padStart(5, '0')}`, session_id: `s${Math.floor(i / 50)}`, track_id: 'demo', track_title: null, mode: 'jukebox',
      source_index: 1, target_index: chosen === 0 ? 10 : 20, source_time: 0, target_time: 1, similarity: null, span: null, same_section: null,
      policy_mode: 'rl', model_version: 'cold-start', quality_score: null, propensity: 0.5,
      candidates: [
        { target_index: 10, features: { similarity: 0.99, span: 9 }, probability: 0.5, chosen: chosen === 0 },
        { target_index: 20, features: { similarity: 0.85, span: 19 }, probability: 0.5, chosen: chosen === 1 },
      ],
      settings: null, context: {}, client_ts: 1000 + (i % 50) * 3000, received_at: 1,
    } as JumpEvent);
  }
  return events;
}

/** The label a learner test gives an event: good with probability 0.25 (candidate 0) or 0.85 (candidate 1). */
export const learnerLabel = (e: JumpEvent, rand: () => number): 'good' | 'bad' => ((e.target_index === 10 ? 0.25 : 0.85) > rand() ? 'good' : 'bad');
