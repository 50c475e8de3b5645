import type { ClipRow } from '../store/index.js';
import { featuresOfEvent } from '../policy/features.js';
import { validateModelJson, type ModelJson } from '../policy/model.js';
import { pGood } from '../policy/scoring.js';

/** Where the active model comes from (the server's ActiveModel: model.json re-read on change). */
export interface ModelSource {
  get(): { version: string; raw: string } | null;
}

export interface UncertaintyOrder {
  /** Lower first: |p(good) − 0.5|. Absent when there is no usable model. */
  priority?: (clip: ClipRow) => number;
  model_version: string | null;
  /** Why the order fell back to random, for the response. */
  note?: string;
}

function contextOf(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** p(good) of a clip's jump under a model. */
export function clipPGood(model: ModelJson, clip: ClipRow): number {
  return pGood(
    model,
    featuresOfEvent({
      similarity: clip.similarity,
      span: clip.span,
      same_section: clip.same_section === null ? null : clip.same_section === 1,
      context: contextOf(clip.context),
    }),
  );
}

/**
 * "Most uncertain first": clips whose p(good) under the active model is closest to 0.5 teach the
 * model most. Without a model (or with one this build cannot read) the queue stays random and the
 * response says why. The parsed model is cached until model.json changes.
 */
export class UncertaintyRanker {
  private cached: { raw: string; model: ModelJson | null; error?: string } | undefined;

  constructor(private readonly source: ModelSource | undefined) {}

  model(): { model: ModelJson | null; version: string | null; error?: string } {
    const file = this.source?.get() ?? null;
    if (!file) return { model: null, version: null };
    if (this.cached?.raw !== file.raw) {
      try {
        this.cached = { raw: file.raw, model: validateModelJson(JSON.parse(file.raw)) };
      } catch (err) {
        this.cached = { raw: file.raw, model: null, error: (err as Error).message };
      }
    }
    return { model: this.cached.model, version: file.version, ...(this.cached.error ? { error: this.cached.error } : {}) };
  }

  order(): UncertaintyOrder {
    const m = this.model();
    if (!m.model) {
      return {
        model_version: m.version,
        note: m.error ? `active model unusable (${m.error}): random order` : 'no active model yet: random order',
      };
    }
    const model = m.model;
    return { model_version: m.version, priority: (clip) => Math.abs(clipPGood(model, clip) - 0.5) };
  }
}
