/**
 * The player page: picks or uploads a track, fetches the session's policy arm (and the model for the rl
 * arm), plays the track as an infinite jukebox and, when RL logging is on, beacons every jump decision and
 * listener signal. Every server or listener value reaches the DOM through textContent / value only.
 */
import type { AnalysisResult } from '../../analysis/types.js';
import { jumpEvent, listenerSignal, type LastJump, type ListenerKind, type SessionInfo } from '../events.js';
import { JukeboxPolicy, type JumpDecision } from '../jukebox.js';
import { readPageConfig, type PlayerSettings } from '../settings.js';
import { PlayerApi, type TrackInfo } from './api.js';
import { BeaconChannel, flushOnHide } from './beacons.js';
import { SettingsPanel } from './controls.js';
import { PlayerEngine } from './engine.js';
import { bindTransport } from './input.js';
import { bindUpload } from './upload.js';
import { POLICY_REFRESH_MS, refreshPolicy, startSession, type Session } from './session.js';
import { Visualizer } from './visualizer.js';

declare global {
  interface Window {
    HARMONIZER_CONFIG?: unknown;
  }
}

const config = readPageConfig(window.HARMONIZER_CONFIG, location.search);
const api = new PlayerApi(config.apiBaseUrl);
const jumpBeacons = new BeaconChannel(api.url('/api/rl/jump-event'));
const signalBeacons = new BeaconChannel(api.url('/api/rl/listener-event'));

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const body = document.body;
const viz = new Visualizer($<HTMLCanvasElement>('viz'));
const playBtn = $<HTMLButtonElement>('play');
const forceBtn = $<HTMLButtonElement>('force');
const select = $<HTMLSelectElement>('track-select');
const rlToggle = $<HTMLInputElement>('rl-toggle');

interface Loaded {
  track: TrackInfo;
  analysis: AnalysisResult;
  engine: PlayerEngine;
  policy: JukeboxPolicy;
}

let session: Session | null = null;
let loaded: Loaded | null = null;
let logging = config.rlLoggingEnabled;
let paused = false;
/** Jumps placed recently (scheduled ahead, so the newest may not be audible yet). */
const recentJumps: LastJump[] = [];
let loadGeneration = 0;

function setStatus(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

function setState(state: string): void {
  body.dataset.state = state;
}

/* ---------- session & policy ---------- */

function sessionInfo(l: Loaded, s: Session): SessionInfo {
  return {
    sessionId: s.id,
    trackId: l.track.id,
    trackTitle: l.track.title,
    arm: s.arm,
    modelVersion: s.arm === 'rl' ? (s.bandit?.version ?? null) : null,
    fallback: s.fallback,
  };
}

/* ---------- logging ---------- */

function setLogging(on: boolean): void {
  logging = on;
  rlToggle.checked = on;
  $('rl-badge').textContent = on ? 'on' : 'off';
  $('rl-badge').classList.toggle('on', on);
  body.dataset.logging = on ? '1' : '0';
}

/** A jump became audible: log it (one event per jump actually played) and remember it for listener signals. */
function onJumpHeard(d: JumpDecision, agoMs: number): void {
  const l = loaded;
  if (!l || !session) return;
  const eventId = crypto.randomUUID();
  const heardAt = Math.round(Date.now() - agoMs);
  if (logging) jumpBeacons.add(jumpEvent(d, l.analysis.beats, sessionInfo(l, session), l.policy.settings, eventId, heardAt));
  recentJumps.push({ eventId, heardAt });
  if (recentJumps.length > 4) recentJumps.shift();
}

function signal(kind: ListenerKind): void {
  const l = loaded;
  if (!logging || !l || !session) return;
  const now = Date.now();
  signalBeacons.add(
    listenerSignal({
      signalId: crypto.randomUUID(),
      session: { sessionId: session.id, trackId: l.track.id, arm: session.arm },
      kind,
      positionS: l.engine.position(),
      beatIndex: l.engine.currentBeat(),
      clientTs: now,
      lastJump: recentJumps[recentJumps.length - 1] ?? null,
    }),
  );
}

/* ---------- tracks ---------- */

async function refreshTracks(selectId: string | null): Promise<TrackInfo[]> {
  const tracks = await api.tracks();
  select.replaceChildren();
  for (const t of tracks) {
    const o = document.createElement('option');
    o.value = t.id;
    o.textContent = t.title === t.id ? t.title : `${t.title} (${t.id})`;
    select.append(o);
  }
  if (tracks.length === 0) {
    const o = document.createElement('option');
    o.value = '';
    o.textContent = 'no tracks yet: upload one';
    select.append(o);
  }
  const pick = tracks.find((t) => t.id === selectId) ?? tracks.find((t) => t.id === 'demo') ?? tracks[0];
  if (pick) select.value = pick.id;
  return tracks;
}

function describeAnalysis(a: AnalysisResult): string {
  if (a.status !== 'ok') return `analysis: no beats — ${a.warning ?? 'no steady pulse'}; the track plays without jumps`;
  const withJumps = a.candidates.filter((c) => c.length > 0).length;
  return `analysis: ${a.track.n_beats} beats, ${a.track.tempo.toFixed(1)} BPM, ${new Set(a.sections.map((s) => s.label)).size} section kinds, ${withJumps} beats with jumps`;
}

async function loadTrack(track: TrackInfo, tracks: readonly TrackInfo[]): Promise<void> {
  const gen = ++loadGeneration;
  if (loaded) {
    if (loaded.engine.playing) signal('skip');
    await loaded.engine.close();
    loaded = null;
  }
  viz.setTrack(null, panel.settings);
  playBtn.disabled = true;
  forceBtn.disabled = true;
  setState('loading');
  $('now-title').textContent = track.title;
  const state = tracks.find((t) => t.id === track.id)?.analysis;
  $('analysis-status').textContent = state === 'ready' ? 'analysis: cached, loading…' : 'analysis: running (once per track)…';
  setStatus('loading audio and analysis…');
  try {
    const [bytes, analysis] = await Promise.all([api.audio(track.id), api.analysis(track.id)]);
    if (gen !== loadGeneration) return;
    $('analysis-status').textContent = describeAnalysis(analysis);
    session ??= await startSession(api);
    const s = session;
    const policy = new JukeboxPolicy(analysis, panel.settings, { arm: s.arm, bandit: s.bandit, shadow: s.shadow, scoring: config.scoring, rand: Math.random });
    const engine = await PlayerEngine.create(bytes, track.sample_rate || analysis.track.sample_rate, analysis, policy, {
      onHeard: (heard) => {
        for (const { entry, agoMs } of heard) {
          if (entry.jumpFrom !== null && entry.kind !== 'seek') viz.flash(entry.jumpFrom, entry.beat);
          if (entry.decision) onJumpHeard(entry.decision, agoMs);
        }
      },
    });
    if (gen !== loadGeneration) {
      void engine.close();
      return;
    }
    loaded = { track, analysis, engine, policy };
    const maxDistance = Math.max(0, ...analysis.candidates.flat().map((c) => c.distance));
    panel.setTrackThreshold(analysis.track.threshold, maxDistance);
    viz.setTrack(analysis, panel.settings);
    paused = false;
    playBtn.disabled = false;
    forceBtn.disabled = false;
    setState('ready');
    body.dataset.loads = String(Number(body.dataset.loads ?? 0) + 1);
    setStatus(`ready: ${engine.buffer.duration.toFixed(1)} s at ${engine.buffer.sampleRate} Hz — press space or play`);
    if (config.autoplay) await togglePlay();
  } catch (err) {
    if (gen !== loadGeneration) return;
    setState('error');
    $('analysis-status').textContent = 'analysis: unavailable';
    setStatus(`could not load "${track.title}": ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

async function loadSelected(): Promise<void> {
  setState('loading');
  const tracks = await api.tracks();
  const t = tracks.find((x) => x.id === select.value);
  if (t) await loadTrack(t, tracks);
}

/* ---------- transport ---------- */

async function togglePlay(): Promise<void> {
  const l = loaded;
  if (!l) return;
  if (l.engine.playing) {
    signal('pause');
    l.engine.pause();
    paused = true;
    setState('paused');
    playBtn.replaceChildren(kbd('space'), ' play');
  } else {
    try {
      await l.engine.play();
    } catch (err) {
      setStatus(`cannot start audio: ${err instanceof Error ? err.message : String(err)}`, true);
      return;
    }
    if (paused) signal('resume');
    setState('playing');
    setStatus('');
    playBtn.replaceChildren(kbd('space'), ' pause');
  }
}

function kbd(text: string): HTMLElement {
  const k = document.createElement('kbd');
  k.textContent = text;
  return k;
}

function setForcing(on: boolean): void {
  const l = loaded;
  if (!l || l.engine.forcing === on) return;
  l.engine.forcing = on;
  if (on) signal('force_jump');
}

const panel = new SettingsPanel(config.settings, (s: PlayerSettings) => {
  if (loaded) loaded.policy.settings = s;
  viz.setSettings(s);
});

bindTransport({ togglePlay: () => void togglePlay(), setForcing });

$('viz').addEventListener('click', (e) => {
  const l = loaded;
  const beat = viz.beatAtPoint(e.clientX, e.clientY);
  if (!l || beat === null) return;
  signal('seek');
  l.engine.seek(beat);
});

rlToggle.addEventListener('change', () => setLogging(rlToggle.checked));
$('track-load').addEventListener('click', () => void loadSelected().catch((err: unknown) => setStatus(String(err), true)));

bindUpload(api, async (t) => {
  const tracks = await refreshTracks(t.id);
  await loadTrack(tracks.find((x) => x.id === t.id) ?? t, tracks);
});

flushOnHide([jumpBeacons, signalBeacons], (reason) => {
  if (reason === 'pagehide') signal('leave');
});

/* ---------- frame loop: visuals and counters only (audio never waits for it) ---------- */

function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

function frame(): void {
  const l = loaded;
  viz.draw(l ? l.engine.currentBeat() : null);
  if (l) {
    const c = l.engine.counts;
    $('c-beats').textContent = String(c.beatsHeard);
    $('c-jumps').textContent = String(c.jumpsHeard);
    $('c-dropped').textContent = String(c.jumpsDropped);
    $('c-time').textContent = fmtTime(l.engine.listened);
    body.dataset.beats = String(c.beatsHeard);
    body.dataset.jumps = String(c.jumpsHeard);
  }
  body.dataset.sent = String(jumpBeacons.stats.sent);
  requestAnimationFrame(frame);
}

async function main(): Promise<void> {
  setLogging(logging);
  requestAnimationFrame(frame);
  session = await startSession(api);
  body.dataset.session = session.id;
  body.dataset.arm = session.arm;
  body.dataset.policyVersion = session.bandit?.version ?? '';
  const showArm = (s: Session) => {
    $('arm-badge').textContent = `arm ${s.arm}${s.shadow ? ' (shadow bandit)' : ''}${s.bandit ? ` · policy ${s.bandit.version}` : ''}${s.fallback ? ` (${s.fallback})` : ''}`;
  };
  showArm(session);
  // A newer policy applies from the next decision (the learner publishes while people listen).
  setInterval(() => {
    const s = session;
    if (!s || !s.bandit) return;
    void refreshPolicy(api, s).then((p) => {
      if (!p) return;
      if (loaded) loaded.policy.bandit = p;
      body.dataset.policyVersion = p.version;
      showArm(s);
    });
  }, POLICY_REFRESH_MS);
  let tracks: TrackInfo[];
  try {
    tracks = await refreshTracks(config.trackId);
  } catch (err) {
    setState('error');
    setStatus(`cannot list tracks: ${err instanceof Error ? err.message : String(err)}`, true);
    return;
  }
  const first = tracks.find((t) => t.id === select.value);
  if (first) await loadTrack(first, tracks);
  else {
    setState('empty');
    setStatus('no tracks yet: upload one');
  }
}

void main();
