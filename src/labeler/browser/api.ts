/** The labeler API client: every call carries the token and the labeler's name. */
import type { ClipView } from '../handlers.js';

/** A clip as the API sends it: the server's own view type, so the two cannot drift apart. */
export type Clip = ClipView;

export type LabelValue = 'good' | 'meh' | 'bad';

export interface Decision {
  id: number;
  event_id: string;
  label: LabelValue;
  notes: string | null;
  created_at: number;
  updated_at: number;
  track_title: string;
  source_index: number;
  target_index: number;
}

export interface NextResponse {
  clip: Clip | null;
  remaining: number;
  order: string;
  order_note?: string;
}

export interface MeResponse {
  labeler: string;
  now: number;
  labeled_total: number;
  labeled_since: number;
  remaining: number;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const BASE = '/api/rl/labeler';

export class Api {
  constructor(private readonly token: string, private readonly name: string) {}

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, 'X-Labeler-Name': encodeURIComponent(this.name) };
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(BASE + path, {
      method,
      headers: body === undefined ? this.headers() : { ...this.headers(), 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: the status says enough */
    }
    if (!res.ok) {
      const msg = (data as { error?: unknown } | null)?.error;
      throw new ApiError(res.status, typeof msg === 'string' ? msg : `HTTP ${res.status}`);
    }
    return data as T;
  }

  me(query: URLSearchParams): Promise<MeResponse> {
    return this.call('GET', `/me?${query}`);
  }
  next(query: URLSearchParams): Promise<NextResponse> {
    return this.call('GET', `/next?${query}`);
  }
  label(body: { event_id: string; label: LabelValue; notes?: string; time_spent_ms?: number }): Promise<{ label: Decision }> {
    return this.call('POST', '/label', body);
  }
  skip(eventId: string): Promise<unknown> {
    return this.call('POST', '/skip', { event_id: eventId });
  }
  /** Keeps the clip leased while it is open; ApiError 409 when another labeler holds it now. */
  lease(eventId: string): Promise<{ event_id: string; expires_at: number }> {
    return this.call('POST', '/lease', { event_id: eventId });
  }
  undo(): Promise<{ undone: Decision; clip: Clip | null }> {
    return this.call('POST', '/undo', {});
  }
  recent(): Promise<{ decisions: Decision[] }> {
    return this.call('GET', '/recent');
  }

  /** Audio bytes (fetched with the token: an <audio src> could not send it). */
  async audio(url: string): Promise<ArrayBuffer> {
    const res = await fetch(url, { headers: this.headers() });
    if (!res.ok) {
      let msg = `HTTP ${res.status}`;
      try {
        msg = ((await res.json()) as { error?: string }).error ?? msg;
      } catch {
        /* keep the status */
      }
      throw new ApiError(res.status, msg);
    }
    return res.arrayBuffer();
  }
}
