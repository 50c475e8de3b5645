/**
 * The listening session: its id (kept in sessionStorage, so a reload stays in the same arm), the policy arm
 * the server drew for it, and for the bandit arm (and shadow mode) the validated bandit policy, refreshed
 * about every minute (with its ETag, so an unchanged policy costs a 304).
 */
import { validateBanditPolicy, type BanditPolicy } from '../../bandit/index.js';
import type { PolicyArm } from '../../shared/jump-event.js';
import type { PlayerApi } from './api.js';

const SESSION_KEY = 'harmonizer.player.session';
/** How often the player asks for a newer policy. */
export const POLICY_REFRESH_MS = 60_000;

export interface Session {
  id: string;
  arm: PolicyArm;
  shadow: boolean;
  bandit: BanditPolicy | null;
  /** ETag of the bandit policy held. */
  etag: string | null;
  /** Why the rl arm plays by the baseline rule, if it does. */
  fallback: string | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Fetches the bandit policy if it changed; returns the new one, or null when unchanged or unavailable. */
export async function refreshPolicy(api: PlayerApi, s: Session): Promise<BanditPolicy | null> {
  try {
    const r = await api.banditPolicy(s.etag);
    if (r === null) return null;
    const p = validateBanditPolicy(r.body);
    s.bandit = p;
    s.etag = r.etag;
    return p;
  } catch {
    return null; // keep deciding with the policy held; the next refresh tries again
  }
}

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
    const s: Session = { id: p.session_id, arm: p.arm, shadow: p.shadow === true, bandit: null, etag: null, fallback: null };
    if (p.arm === 'rl' || s.shadow) {
      try {
        const r = await api.banditPolicy(null);
        if (r) {
          s.bandit = validateBanditPolicy(r.body);
          s.etag = r.etag;
        }
      } catch (err) {
        if (p.arm === 'rl') {
          s.arm = 'baseline';
          s.fallback = `bandit policy unavailable: ${message(err)}`;
        }
        s.shadow = false;
      }
    }
    return s;
  } catch (err) {
    // No policy service: play by the baseline rule under a local session id (its events say why).
    return { id: stored ?? crypto.randomUUID(), arm: 'baseline', shadow: false, bandit: null, etag: null, fallback: `policy unavailable: ${message(err)}` };
  }
}
