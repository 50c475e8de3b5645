import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JumpEvent } from '../shared/jump-event.js';
import type { StoreApi } from '../store/index.js';
import { encodeWav, snippetFileName } from '../render/index.js';

/**
 * Rendered clips for tests and demos of the labeler: jump events, their tracks and snippet rows
 * in state 'rendered', with small real WAV files (a tone that changes pitch at the splice).
 */
export interface SeedClip {
  event_id: string;
  track_id?: string;
  track_title?: string | null;
  mode?: string;
  policy_mode?: 'baseline' | 'rl' | null;
  model_version?: string | null;
  similarity?: number | null;
  source_index?: number;
  target_index?: number;
  context?: Record<string, unknown> | null;
  /** Also write `<id>.ref.wav` (the no-jump reference). */
  withReference?: boolean;
}

export const SEED_SAMPLE_RATE = 8000;
export const SEED_DURATION_S = 1.5;
export const SEED_SPLICE_S = 0.75;

export function seedWav(seed: number, reference = false): Buffer {
  const n = Math.round(SEED_DURATION_S * SEED_SAMPLE_RATE);
  const x = new Float32Array(n);
  const f1 = 220 + 20 * (seed % 10);
  const f2 = reference ? f1 : f1 * 1.5;
  for (let i = 0; i < n; i++) {
    const t = i / SEED_SAMPLE_RATE;
    const f = t < SEED_SPLICE_S ? f1 : f2;
    x[i] = 0.6 * Math.sin(2 * Math.PI * f * t) * (0.5 + 0.5 * Math.cos(2 * Math.PI * 2 * t));
  }
  return encodeWav([x], SEED_SAMPLE_RATE);
}

/** Through the store's interface: the render queue's own transitions (enqueue, claim, complete). */
export async function seedClips(store: StoreApi, snippetsDir: string, clips: readonly SeedClip[], now = 1_700_000_000_000): Promise<void> {
  mkdirSync(snippetsDir, { recursive: true });
  const events: JumpEvent[] = clips.map((c, i) => ({
    event_id: c.event_id,
    session_id: 'seed-session',
    track_id: c.track_id ?? 'track-a',
    track_title: c.track_title === undefined ? null : c.track_title,
    mode: c.mode ?? 'jukebox',
    source_index: c.source_index ?? 10 + i,
    target_index: c.target_index ?? 40 + i,
    source_time: 5 + i,
    target_time: 20 + i,
    similarity: c.similarity === undefined ? 0.8 : c.similarity,
    span: (c.target_index ?? 40 + i) - (c.source_index ?? 10 + i),
    same_section: false,
    policy_mode: c.policy_mode === undefined ? 'baseline' : c.policy_mode,
    model_version: c.model_version ?? null,
    quality_score: null,
    propensity: 0.5,
    candidates: null,
    settings: null,
    context: c.context ?? null,
    client_ts: null,
    received_at: now,
  }));
  await store.events.insertMany(events);
  for (const t of new Set(events.map((e) => e.track_id))) {
    await store.tracks.upsert({
      track_id: t,
      title: `Title of ${t}`,
      path: join(snippetsDir, `${t}.missing.wav`),
      sha256: '0'.repeat(64),
      duration: 120,
      sample_rate: 44100,
      channels: 2,
      added_at: now,
    });
  }
  await store.snippets.enqueueNew(now);
  const jobs = await store.snippets.claim('seed', clips.length + 1000, now, 60_000);
  const byId = new Map(clips.map((c, i) => [c.event_id, { c, i }]));
  for (const job of jobs) {
    const entry = byId.get(job.event_id);
    if (!entry) continue;
    const path = join(snippetsDir, snippetFileName(job.event_id, 'jump'));
    writeFileSync(path, seedWav(entry.i));
    if (entry.c.withReference) writeFileSync(join(snippetsDir, snippetFileName(job.event_id, 'reference')), seedWav(entry.i, true));
    await store.snippets.complete(
      job.event_id,
      'seed',
      { path, duration_s: SEED_DURATION_S, splice_offset_s: SEED_SPLICE_S, pre_s: SEED_SPLICE_S, post_s: SEED_DURATION_S - SEED_SPLICE_S, crossfade_ms: 30, render_ms: 1 },
      now,
    );
  }
}
