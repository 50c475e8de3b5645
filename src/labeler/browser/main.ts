/**
 * The labeler page: sign-in (token + name, kept in localStorage), then one clip at a time with
 * one key per decision. Every piece of server data is written with textContent or input.value,
 * never as HTML (notes are user text).
 */
import { adoptUrlToken } from '../../shared/browser/url-token.js';
import { Api, ApiError, type Clip, type Decision, type LabelValue } from './api.js';
import { actionOf, stepRate, type Action } from './keys.js';
import { Waveform } from './waveform.js';
import { wavPeaks, peaksOf, type Peaks } from './wav.js';

const TOKEN_KEY = 'harmonizer.labeler.token';
const NAME_KEY = 'harmonizer.labeler.name';
const FILTERS_KEY = 'harmonizer.labeler.filters';
/** How often an open clip's lease (2 minutes) is renewed, and for how long after it was shown. */
const LEASE_RENEW_MS = 30_000;
const LEASE_RENEW_FOR_MS = 10 * 60_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const audio = $<HTMLAudioElement>('audio');
const notes = $<HTMLInputElement>('notes');
const statusEl = $('status');
const wave = new Waveform($<HTMLCanvasElement>('wave'));

interface State {
  api: Api | null;
  clip: Clip | null;
  shownAt: number;
  sessionStart: number;
  busy: boolean;
  rate: number;
  source: 'jump' | 'reference';
  jumpUrl: string | null;
  refUrl: string | null;
  /** Increments per shown clip, so a late audio load of an earlier clip is ignored. */
  generation: number;
}

const state: State = {
  api: null,
  clip: null,
  shownAt: 0,
  sessionStart: 0,
  busy: false,
  rate: 1,
  source: 'jump',
  jumpUrl: null,
  refUrl: null,
  generation: 0,
};

function setStatus(text: string): void {
  statusEl.textContent = text;
}

function setText(id: string, text: string): void {
  $(id).textContent = text;
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : v.toFixed(digits));

/* ---------- sign-in ---------- */

function showLogin(message = ''): void {
  state.api = null;
  $('app').hidden = true;
  $('login').hidden = false;
  document.body.dataset.state = 'login';
  $<HTMLInputElement>('login-token').value = localStorage.getItem(TOKEN_KEY) ?? '';
  $<HTMLInputElement>('login-name').value = localStorage.getItem(NAME_KEY) ?? '';
  setText('login-error', message);
  ($<HTMLInputElement>('login-token').value ? $<HTMLInputElement>('login-name') : $<HTMLInputElement>('login-token')).focus();
}

async function start(): Promise<void> {
  const token = localStorage.getItem(TOKEN_KEY);
  const name = localStorage.getItem(NAME_KEY);
  if (!token || !name) return showLogin();
  state.api = new Api(token, name);
  try {
    const me = await state.api.me(filterQuery());
    state.sessionStart = me.now;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      return showLogin(err.message);
    }
    return showLogin(err instanceof Error ? err.message : String(err));
  }
  $('login').hidden = true;
  $('app').hidden = false;
  document.body.dataset.state = 'app';
  setText('me-name', name);
  await run(async () => {
    await loadNext();
    await refreshSide();
  });
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $<HTMLInputElement>('login-token').value.trim();
  const name = $<HTMLInputElement>('login-name').value.trim();
  if (!token || !name) return setText('login-error', 'both the token and your name are required');
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(NAME_KEY, name);
  void start();
});

$('sign-out').addEventListener('click', () => {
  localStorage.removeItem(TOKEN_KEY);
  audio.pause();
  showLogin('signed out');
});

/* ---------- filters ---------- */

const filtersForm = $<HTMLFormElement>('filters');

function filterQuery(): URLSearchParams {
  const q = new URLSearchParams();
  for (const el of Array.from(filtersForm.elements) as HTMLInputElement[]) {
    if (el.name && el.value.trim() !== '') q.set(el.name, el.value.trim());
  }
  return q;
}

function restoreFilters(): void {
  const saved = new URLSearchParams(localStorage.getItem(FILTERS_KEY) ?? '');
  for (const el of Array.from(filtersForm.elements) as HTMLInputElement[]) {
    if (el.name && saved.has(el.name)) el.value = saved.get(el.name)!;
  }
}

filtersForm.addEventListener('submit', (e) => {
  e.preventDefault();
  localStorage.setItem(FILTERS_KEY, filterQuery().toString());
  (document.activeElement as HTMLElement | null)?.blur();
  void run(async () => {
    await loadNext();
    await refreshSide();
  });
});

/* ---------- clip ---------- */

function revoke(): void {
  if (state.jumpUrl) URL.revokeObjectURL(state.jumpUrl);
  if (state.refUrl) URL.revokeObjectURL(state.refUrl);
  state.jumpUrl = state.refUrl = null;
}

/**
 * Renews the open clip's lease, so a long listen does not hand the clip to another labeler; stops
 * after LEASE_RENEW_FOR_MS so a page left open does not hold a clip forever.
 */
async function renewLease(): Promise<void> {
  const clip = state.clip;
  if (!state.api || !clip || performance.now() - state.shownAt > LEASE_RENEW_FOR_MS) return;
  try {
    await state.api.lease(clip.event_id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && state.clip === clip) {
      setStatus('This clip went to another labeler while it was open (its lease lapsed); a label you send is still kept.');
    }
  }
}
setInterval(() => void renewLease(), LEASE_RENEW_MS);

async function loadNext(): Promise<void> {
  const r = await state.api!.next(filterQuery());
  setText('count-remaining', String(r.remaining));
  if (r.order_note) setStatus(r.order_note);
  await show(r.clip);
}

async function show(clip: Clip | null, noteText = ''): Promise<void> {
  const gen = ++state.generation;
  audio.pause();
  revoke();
  state.clip = clip;
  state.source = 'jump';
  notes.value = noteText;
  document.body.dataset.eventId = clip?.event_id ?? '';
  setText('t-source', 'jump clip');
  if (!clip) {
    setText('track-title', 'Nothing left to label under these filters');
    for (const id of ['f-beats', 'f-times', 'f-similarity', 'f-arm', 'f-model', 'f-mode', 'f-labels', 'f-event']) setText(id, '');
    wave.clear();
    return;
  }
  setText('track-title', clip.track_title);
  setText('f-beats', `${clip.source_index} → ${clip.target_index}`);
  setText('f-times', `${fmt(clip.source_time)} s → ${fmt(clip.target_time)} s`);
  setText('f-similarity', fmt(clip.similarity, 3));
  setText('f-arm', clip.arm ?? '–');
  setText('f-model', clip.model_version ?? '–');
  setText('f-mode', clip.mode);
  setText('f-labels', String(clip.labels_count));
  setText('f-event', clip.event_id);
  const bytes = await state.api!.audio(clip.audio_url);
  if (gen !== state.generation) return;
  state.jumpUrl = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
  const peaks = wavPeaks(bytes, wave.columns()) ?? (await decodePeaks(bytes));
  if (gen !== state.generation) return;
  const duration = clip.duration_s ?? peaks.duration;
  wave.set(peaks, clip.splice_offset_s !== null && duration > 0 ? clip.splice_offset_s / duration : null);
  document.body.dataset.waveform = clip.event_id;
  state.shownAt = performance.now();
  play(state.jumpUrl);
}

/** Fallback for files the WAV reader does not handle. */
async function decodePeaks(bytes: ArrayBuffer): Promise<Peaks> {
  const ctx = new OfflineAudioContext(1, 1, 44100);
  const buf = await ctx.decodeAudioData(bytes.slice(0));
  const channels = Array.from({ length: buf.numberOfChannels }, (_, c) => buf.getChannelData(c));
  return peaksOf(channels, buf.sampleRate, wave.columns());
}

function play(url: string): void {
  audio.src = url;
  audio.defaultPlaybackRate = state.rate;
  audio.playbackRate = state.rate;
  audio.play().catch(() => setStatus('press space to play (the browser blocked autoplay)'));
}

/* ---------- side panels ---------- */

async function refreshSide(): Promise<void> {
  const api = state.api!;
  const [me, recent] = await Promise.all([
    api.me(new URLSearchParams([...filterQuery(), ['since', String(state.sessionStart)]])),
    api.recent(),
  ]);
  setText('count-session', String(me.labeled_since));
  setText('count-remaining', String(me.remaining));
  renderRecent(recent.decisions);
}

function renderRecent(decisions: Decision[]): void {
  const list = $('recent-list');
  list.replaceChildren(
    ...decisions.map((d) => {
      const li = document.createElement('li');
      li.dataset.eventId = d.event_id;
      const meta = document.createElement('div');
      meta.className = 'meta';
      const lab = document.createElement('b');
      lab.className = `lab-${d.label}`;
      lab.textContent = d.label;
      const what = document.createElement('span');
      what.textContent = ` ${d.track_title} · beats ${d.source_index} → ${d.target_index}`;
      const note = document.createElement('div');
      note.className = 'note';
      note.textContent = d.notes ?? '';
      meta.append(lab, what, note);

      const buttons = document.createElement('span');
      for (const v of ['good', 'meh', 'bad'] as LabelValue[]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = v;
        b.className = `lab-${v}${v === d.label ? ' chosen' : ''}`;
        b.addEventListener('click', () => void run(() => edit(d.event_id, v, undefined)));
        buttons.append(b);
      }
      const input = document.createElement('input');
      input.value = d.notes ?? '';
      input.placeholder = 'edit note, Enter saves';
      input.maxLength = 2000;
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          void run(() => edit(d.event_id, d.label, input.value));
        } else if (e.key === 'Escape') input.blur();
      });
      li.append(meta, buttons, input);
      return li;
    }),
  );
}

async function edit(eventId: string, label: LabelValue, noteText: string | undefined): Promise<void> {
  await state.api!.label({ event_id: eventId, label, ...(noteText === undefined ? {} : { notes: noteText }) });
  setStatus(`changed ${eventId} to ${label}`);
  await refreshSide();
}

/* ---------- actions ---------- */

/** Runs one server action at a time; 401 sends the labeler back to sign-in. */
async function run(fn: () => Promise<void>): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      showLogin(err.message);
    } else setStatus(err instanceof Error ? err.message : String(err));
  } finally {
    state.busy = false;
    document.body.dataset.actions = String(Number(document.body.dataset.actions ?? 0) + 1);
  }
}

async function decide(label: LabelValue): Promise<void> {
  const clip = state.clip;
  if (!clip) return setStatus('no clip to label');
  const noteText = notes.value.trim();
  await state.api!.label({
    event_id: clip.event_id,
    label,
    time_spent_ms: Math.round(performance.now() - state.shownAt),
    ...(noteText ? { notes: noteText } : {}),
  });
  setStatus(`${label}: ${clip.track_title} ${clip.source_index} → ${clip.target_index}`);
  await loadNext();
  await refreshSide();
}

async function skip(): Promise<void> {
  const clip = state.clip;
  if (!clip) return setStatus('no clip to skip');
  await state.api!.skip(clip.event_id);
  setStatus('skipped: it comes back at the end of your queue');
  await loadNext();
  await refreshSide();
}

async function undo(): Promise<void> {
  const r = await state.api!.undo();
  setStatus(`undone: ${r.undone.label} on ${r.undone.event_id}`);
  await show(r.clip, r.undone.notes ?? '');
  await refreshSide();
}

async function toggleReference(): Promise<void> {
  const clip = state.clip;
  if (!clip) return;
  if (state.source === 'reference') {
    state.source = 'jump';
    setText('t-source', 'jump clip');
    if (state.jumpUrl) play(state.jumpUrl);
    return;
  }
  if (!state.refUrl) {
    const gen = state.generation;
    const bytes = await state.api!.audio(clip.reference_url);
    if (gen !== state.generation) return;
    state.refUrl = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
  }
  state.source = 'reference';
  setText('t-source', 'reference (no jump) — press a to go back');
  play(state.refUrl);
}

function transport(action: Action): void {
  switch (action) {
    case 'play':
      if (audio.paused) audio.play().catch((e: Error) => setStatus(e.message));
      else audio.pause();
      break;
    case 'replay':
      audio.currentTime = 0;
      audio.play().catch((e: Error) => setStatus(e.message));
      break;
    case 'back':
      audio.currentTime = Math.max(0, audio.currentTime - 1);
      break;
    case 'forward':
      audio.currentTime = Math.min(audio.duration || 0, audio.currentTime + 1);
      break;
    case 'slower':
    case 'faster':
      state.rate = stepRate(state.rate, action === 'slower' ? -1 : 1);
      audio.defaultPlaybackRate = state.rate;
      audio.playbackRate = state.rate;
      setText('t-rate', `${state.rate.toFixed(2)}×`);
      break;
    default:
      break;
  }
}

function perform(action: Action): void {
  switch (action) {
    case 'good':
    case 'meh':
    case 'bad':
      void run(() => decide(action));
      break;
    case 'skip':
      void run(skip);
      break;
    case 'undo':
      void run(undo);
      break;
    case 'reference':
      void run(toggleReference);
      break;
    case 'notes':
      notes.focus();
      break;
    default:
      transport(action);
  }
}

function isTextField(el: Element | null): boolean {
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el as HTMLElement).isContentEditable);
}

document.addEventListener('keydown', (e) => {
  if (document.body.dataset.state !== 'app') return;
  if (e.target === notes) {
    // Enter keeps the note for the next decision on this clip; Esc leaves the field as it is.
    if (e.key === 'Enter' || e.key === 'Escape') {
      e.preventDefault();
      notes.blur();
      if (e.key === 'Enter' && notes.value.trim()) setStatus('note kept: it is saved with your decision (g / m / b)');
    }
    return;
  }
  if (isTextField(e.target as Element)) return;
  const action = actionOf(e);
  if (!action) return;
  e.preventDefault(); // space would scroll, arrows would move
  if (e.repeat && !['back', 'forward', 'slower', 'faster'].includes(action)) return;
  perform(action);
});

for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-action]'))) {
  b.addEventListener('click', () => {
    b.blur(); // keep keys going to the page, not to the focused button (space would click it again)
    perform(b.dataset.action as Action);
  });
}

/* ---------- playhead ---------- */

function frame(): void {
  const d = audio.duration;
  const t = audio.currentTime;
  if (Number.isFinite(d) && d > 0) {
    wave.draw(t / d);
    setText('t-pos', `${t.toFixed(2)} / ${d.toFixed(2)} s`);
  }
  requestAnimationFrame(frame);
}

adoptUrlToken(TOKEN_KEY);
restoreFilters();
requestAnimationFrame(frame);
void start();
