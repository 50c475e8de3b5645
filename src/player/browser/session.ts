/**
 * The listening session: its id (kept in sessionStorage, so a reload stays in the same arm), the policy arm
 * the server drew for it, and for the rl arm the validated active model.
 */
import { validateModelJson, type ModelJson } from '../../policy/model.js';
import type { PolicyArm } from '../../shared/jump-event.js';
import type { PlayerApi } from './api.js';

const SESSION_KEY = 'harmonizer.player.session';

export interface Session {
  id: string;
  arm: PolicyArm;
  model: ModelJson | null;
  /** Why the rl arm plays by the baseline rule, if it does. */
  fallback: string | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function startSession(api: PlayerApi): Promise<Session> {
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(SESSION_KEY);
  } catch {
    /* storage disabled */
  }
  try {
    const p = await api.policy(stored);
    try {
      sessionStorage.setItem(SESSION_KEY, p.session_id);
    } catch {
      /* storage disabled: the session lasts this page view */
    }
    let model: ModelJson | null = null;
    let fallback: string | null = null;
    if (p.arm === 'rl') {
      try {
        const raw = await api.model();
        if (raw === null) fallback = 'no model';
        else model = validateModelJson(raw);
      } catch (err) {
        fallback = `model unavailable: ${message(err)}`;
      }
    }
    return { id: p.session_id, arm: p.arm, model, fallback };
  } catch (err) {
    // No policy service: play by the baseline rule under a local session id (its events say why).
    return { id: stored ?? crypto.randomUUID(), arm: 'baseline', model: null, fallback: `policy unavailable: ${message(err)}` };
  }
}
