/**
 * The player's HTTP client: tracks, analysis, audio, the session's arm and the bandit policy, relative to the configured API
 * base (same origin by default). Uploads use XMLHttpRequest because fetch reports no upload progress.
 */
import type { AnalysisResult } from '../../analysis/types.js';
import type { PolicyArm } from '../../shared/jump-event.js';

export interface TrackInfo {
  id: string;
  title: string;
  duration: number;
  sample_rate: number;
  /** 'none' | 'running' | 'ready' | 'failed' (the server's AnalysisState). */
  analysis?: string;
}

export interface PolicyInfo {
  session_id: string;
  arm: PolicyArm;
  probability: number;
  model_version: string | null;
  reason: string;
  /** Shadow mode: the baseline acts, the bandit's choices are logged beside it. */
  shadow?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PlayerApi {
  constructor(readonly base: string) {}

  url(path: string): string {
    return this.base + path;
  }

  async #json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await fetch(this.url(path), init);
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return (await res.json()) as T;
  }

  /** Accepts `{ tracks: [...] }` or a bare array; rows may name the id `id` or `track_id`. */
  async tracks(): Promise<TrackInfo[]> {
    const body = await this.#json<unknown>('/api/tracks');
    const rows = Array.isArray(body) ? body : ((body as { tracks?: unknown[] }).tracks ?? []);
    return rows.map(trackOf).filter((t): t is TrackInfo => t !== null);
  }

  analysis(id: string): Promise<AnalysisResult> {
    return this.#json<AnalysisResult>(`/api/tracks/${encodeURIComponent(id)}/analysis`);
  }

  async audio(id: string): Promise<ArrayBuffer> {
    const res = await fetch(this.url(`/api/tracks/${encodeURIComponent(id)}/audio`));
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res.arrayBuffer();
  }

  policy(sessionId: string | null): Promise<PolicyInfo> {
    const q = sessionId ? `?session_id=${encodeURIComponent(sessionId)}` : '';
    return this.#json<PolicyInfo>(`/api/rl/policy${q}`);
  }

  /**
   * The active bandit policy as untrusted JSON (the caller validates it). With the ETag of the copy the
   * caller holds, null means "unchanged" (304).
   */
  async banditPolicy(etag: string | null): Promise<{ body: unknown; etag: string | null } | null> {
    const res = await fetch(this.url('/api/rl/policy-model'), etag ? { headers: { 'If-None-Match': etag } } : undefined);
    if (res.status === 304) return null;
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return { body: await res.json(), etag: res.headers.get('ETag') };
  }

  /** POST /api/tracks with the raw file as the body; `onProgress` gets a fraction 0..1. Resolves with the new track. */
  upload(file: File, title: string, onProgress: (f: number) => void): Promise<TrackInfo> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.url(`/api/tracks?title=${encodeURIComponent(title)}`));
      xhr.setRequestHeader('Content-Type', file.type && file.type.startsWith('audio/') ? file.type : 'application/octet-stream');
      xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'network error during upload'));
      xhr.onload = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          /* not JSON */
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          const t = trackOf(body);
          if (t) return resolve(t);
          return reject(new ApiError(xhr.status, 'the server answered without a track'));
        }
        const msg = (body as { error?: unknown } | null)?.error;
        reject(new ApiError(xhr.status, typeof msg === 'string' ? msg : `upload failed (HTTP ${xhr.status})`));
      };
      xhr.send(file);
    });
  }
}

function trackOf(v: unknown): TrackInfo | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id : typeof o.track_id === 'string' ? o.track_id : null;
  if (!id) return null;
  return {
    id,
    title: typeof o.title === 'string' ? o.title : id,
    duration: typeof o.duration === 'number' ? o.duration : 0,
    sample_rate: typeof o.sample_rate === 'number' ? o.sample_rate : 0,
    ...(typeof o.analysis === 'string' ? { analysis: o.analysis } : {}),
  };
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    /* not JSON */
  }
  return `HTTP ${res.status}`;
}
