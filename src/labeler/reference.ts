import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HarmonizerError } from '../shared/errors.js';
import type { ClipRow, StoreApi } from '../store/index.js';
import { snippetFileName, type JumpSpec, type TrackRef } from '../render/index.js';

/** What renders a reference clip: SnippetRenderer from src/render satisfies it. */
export interface ReferenceRenderer {
  render(track: TrackRef, spec: JumpSpec): Promise<{ path: string }>;
}

/**
 * The no-jump reference clip of a jump (the A of the A/B): the recorded file, the file the render
 * queue left next to the snippet, or, when a renderer is given, rendered on demand with the same
 * pre/post as the jump clip (once per event even under concurrent requests).
 */
export class ReferenceClips {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: StoreApi,
    private readonly snippetsDir: string,
    private readonly renderer: ReferenceRenderer | undefined,
    private readonly now: () => number,
  ) {}

  async path(clip: ClipRow): Promise<string> {
    if (clip.ref_path && existsSync(clip.ref_path)) return clip.ref_path;
    const beside = join(this.snippetsDir, snippetFileName(clip.event_id, 'reference'));
    if (existsSync(beside)) {
      await this.store.snippets.setReference(clip.event_id, beside, this.now());
      return beside;
    }
    if (!this.renderer) {
      throw new HarmonizerError('NOT_FOUND', `no reference clip for event ${clip.event_id}: this server renders none on demand (run the render queue)`);
    }
    let p = this.inFlight.get(clip.event_id);
    if (!p) {
      p = this.render(clip, this.renderer).finally(() => this.inFlight.delete(clip.event_id));
      this.inFlight.set(clip.event_id, p);
    }
    return p;
  }

  private async render(clip: ClipRow, renderer: ReferenceRenderer): Promise<string> {
    const track = await this.store.tracks.get(clip.track_id);
    if (!track) throw new HarmonizerError('NOT_FOUND', `no reference clip for event ${clip.event_id}: track ${clip.track_id} is not registered`);
    const pre = clip.pre_s ?? clip.splice_offset_s;
    const post = clip.post_s ?? (clip.duration_s !== null && clip.splice_offset_s !== null ? clip.duration_s - clip.splice_offset_s : null);
    if (pre === null || post === null) {
      throw new HarmonizerError('NOT_FOUND', `no reference clip for event ${clip.event_id}: the jump clip has no recorded timing`);
    }
    const r = await renderer.render(track, {
      event_id: clip.event_id,
      kind: 'reference',
      sourceTime: clip.source_time,
      targetTime: clip.target_time,
      pre,
      post,
    });
    await this.store.snippets.setReference(clip.event_id, r.path, this.now());
    return r.path;
  }
}
