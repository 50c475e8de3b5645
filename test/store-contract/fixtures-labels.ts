import type { StoreApi } from '../../src/store/index.js';
import type { JumpEvent } from '../../src/shared/jump-event.js';
import type { RenderedMeta } from '../../src/store/snippets.js';
import { storedEvent } from './context.js';

/**
 * Rendered clips for the labels contract: jump events (in the order given, so their ids are 1..n on a
 * fresh store), their tracks, and snippet rows in state 'rendered' (or claimed and never completed:
 * not a clip), all through the store's interface, the render queue's own transitions (enqueueNew,
 * claim, complete) on both backends.
 */
export interface ClipSpec {
  event_id: string;
  track_id?: string;
  mode?: string;
  policy_mode?: 'baseline' | 'rl' | null;
  model_version?: string | null;
  similarity?: number | null;
  /** Leave the snippet pending (not a clip). Default false. */
  pending?: boolean;
  context?: Record<string, unknown> | null;
}

export const SEED_NOW = 1_700_000_000_000;

export const metaOf = (i: number): RenderedMeta => ({
  path: `/clips/${i}.wav`, duration_s: 1.5, splice_offset_s: 0.75, pre_s: 0.75, post_s: 0.75, crossfade_ms: 30, render_ms: 1,
});

export function clipEvent(c: ClipSpec, i: number): JumpEvent {
  return storedEvent({
    event_id: c.event_id,
    session_id: 'seed-session',
    track_id: c.track_id ?? 'track-a',
    mode: c.mode ?? 'jukebox',
    source_index: 10 + i,
    target_index: 40 + i,
    source_time: 5 + i,
    target_time: 20 + i,
    similarity: c.similarity === undefined ? 0.8 : c.similarity,
    span: 30,
    same_section: i % 2 === 0,
    policy_mode: c.policy_mode === undefined ? 'baseline' : c.policy_mode,
    model_version: c.model_version ?? null,
    context: c.context === undefined ? { n: i } : c.context,
    received_at: SEED_NOW + i,
  } as never);
}

export async function seedClips(s: StoreApi, clips: readonly ClipSpec[]): Promise<void> {
  // One by one: ids follow the given order on both backends.
  for (const [i, c] of clips.entries()) await s.events.insertMany([clipEvent(c, i)]);
  for (const t of new Set(clips.map((c) => c.track_id ?? 'track-a'))) {
    // track-b has no row: its clips show the event's own title/id (the LEFT JOIN's fallback). A
    // registered track is kept as it is.
    if (t === 'track-b' || (await s.tracks.get(t))) continue;
    await s.tracks.upsert({ track_id: t, title: `Title of ${t}`, path: `/tracks/${t}.wav`, sha256: '0'.repeat(64), duration: 120, sample_rate: 44100, channels: 2, added_at: SEED_NOW });
  }
  const rendered = clips.map((c, i) => ({ c, i })).filter((x) => !x.c.pending);
  await s.snippets.enqueueNew(SEED_NOW);
  const jobs = await s.snippets.claim('seed', clips.length + 10, SEED_NOW, 60_000);
  const byId = new Map(rendered.map((x) => [x.c.event_id, x.i]));
  for (const job of jobs) {
    const i = byId.get(job.event_id);
    if (i !== undefined) await s.snippets.complete(job.event_id, 'seed', metaOf(i), SEED_NOW);
  }
}
