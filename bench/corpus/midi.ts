/**
 * A composed song as a Standard MIDI File (format 1: a tempo track and a note track), written with the
 * `midi-file` package. The tempo track sets the tempo at every beat whose tempo differs from the previous
 * one, so the synthesizer plays exactly the tempo map the truth was computed from.
 */
import midiFile from 'midi-file';
import type { MidiEvent } from 'midi-file';
import type { ComposedSong } from './compose.js';

export const TICKS_PER_BEAT = 480;
/** Pan (MIDI CC 10) per channel, so the stereo image is not mono and mid / side differ. */
const PAN = [64, 40, 90, 30, 100, 64, 64, 64, 64, 64];

interface Abs {
  tick: number;
  order: number;
  ev: MidiEvent;
}

function toTrack(list: Abs[]): MidiEvent[] {
  list.sort((a, b) => a.tick - b.tick || a.order - b.order);
  const out: MidiEvent[] = [];
  let last = 0;
  for (const a of list) {
    out.push({ ...a.ev, deltaTime: a.tick - last } as MidiEvent);
    last = a.tick;
  }
  out.push({ deltaTime: 0, meta: true, type: 'endOfTrack' });
  return out;
}

/** Encodes the song; note-offs sort before note-ons at the same tick so a re-struck note is not cut. Cost O(events log events). */
export function songToMidi(song: ComposedSong): Uint8Array {
  const tempo: Abs[] = [];
  let prev = -1;
  song.bpmPerBeat.forEach((bpm, k) => {
    const us = Math.round(60e6 / bpm);
    if (us !== prev) tempo.push({ tick: k * TICKS_PER_BEAT, order: 0, ev: { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: us } });
    prev = us;
  });
  const notes: Abs[] = [];
  song.style.programs.forEach((program, channel) => {
    notes.push({ tick: 0, order: 0, ev: { deltaTime: 0, type: 'programChange', channel, programNumber: program } });
  });
  for (let ch = 0; ch < 10; ch++) notes.push({ tick: 0, order: 0, ev: { deltaTime: 0, type: 'controller', channel: ch, controllerType: 10, value: PAN[ch] } });
  for (const e of song.events) {
    const on = Math.round(e.beat * TICKS_PER_BEAT);
    const off = Math.max(on + 1, Math.round((e.beat + e.length) * TICKS_PER_BEAT));
    notes.push({ tick: on, order: 2, ev: { deltaTime: 0, type: 'noteOn', channel: e.channel, noteNumber: e.note, velocity: e.velocity } });
    notes.push({ tick: off, order: 1, ev: { deltaTime: 0, type: 'noteOff', channel: e.channel, noteNumber: e.note, velocity: 0 } });
  }
  const bytes = midiFile.writeMidi({
    header: { format: 1, numTracks: 2, ticksPerBeat: TICKS_PER_BEAT },
    tracks: [toTrack(tempo), toTrack(notes)],
  });
  return Uint8Array.from(bytes);
}
