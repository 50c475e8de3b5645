/**
 * The evaluation corpus: every genre of the issue, 60-200 BPM, gradual and sudden tempo changes, rubato,
 * drumless intros, a pulse-free break, a louder less-periodic outro, phase-inverted stereo, quiet and clipped
 * masters and short clips. The sudden tempo changes split the beats unevenly, so the reference tempo (the median
 * beat interval) names one of the two tempi rather than falling between them. `TEST_SLICE` is the part `make test` runs (a few clips, seconds of CPU).
 */
import type { SongSpec } from './compose.js';

export const CORPUS: readonly SongSpec[] = Object.freeze([
  { name: 'dance_126_intro', genre: 'four_on_floor', tempo: [{ beats: 96, bpm: 126 }], drumlessIntroBars: 4 },
  { name: 'dance_134_loud_outro', genre: 'four_on_floor', tempo: [{ beats: 160, bpm: 134 }], loudOutroBars: 12 },
  { name: 'dance_128_phase_inverted', genre: 'four_on_floor', tempo: [{ beats: 96, bpm: 128 }], master: 'phase_inverted' },
  { name: 'dance_122_break', genre: 'four_on_floor', tempo: [{ beats: 128, bpm: 122 }], breakBars: [12, 4] },
  { name: 'rock_120', genre: 'rock', tempo: [{ beats: 96, bpm: 120 }], rubato: 0.004 },
  { name: 'rock_ramp_100_140', genre: 'rock', tempo: [{ beats: 128, bpm: 100, toBpm: 140 }], rubato: 0.004 },
  { name: 'rock_sudden_90_135', genre: 'rock', tempo: [{ beats: 56, bpm: 90 }, { beats: 80, bpm: 135 }] },
  { name: 'rock_140_clipped', genre: 'rock', tempo: [{ beats: 96, bpm: 140 }], master: 'clipped' },
  { name: 'funk_100', genre: 'funk', tempo: [{ beats: 80, bpm: 100 }], rubato: 0.004 },
  { name: 'funk_108_quiet', genre: 'funk', tempo: [{ beats: 80, bpm: 108 }], master: 'quiet' },
  { name: 'shuffle_96', genre: 'shuffle', tempo: [{ beats: 80, bpm: 96 }], rubato: 0.005 },
  { name: 'shuffle_150', genre: 'shuffle', tempo: [{ beats: 120, bpm: 150 }] },
  { name: 'waltz_150', genre: 'waltz', tempo: [{ beats: 120, bpm: 150 }] },
  { name: 'waltz_100_rubato', genre: 'waltz', tempo: [{ beats: 90, bpm: 100 }], rubato: 0.01 },
  { name: 'six_eight_66', genre: 'six_eight', tempo: [{ beats: 64, bpm: 66 }] },
  { name: 'six_eight_88', genre: 'six_eight', tempo: [{ beats: 72, bpm: 88 }], rubato: 0.006 },
  { name: 'breakbeat_172', genre: 'breakbeat', tempo: [{ beats: 128, bpm: 172 }] },
  { name: 'breakbeat_sudden_170_130', genre: 'breakbeat', tempo: [{ beats: 80, bpm: 170 }, { beats: 48, bpm: 130 }] },
  { name: 'ballad_68_rubato', genre: 'ballad', tempo: [{ beats: 48, bpm: 68 }], rubato: 0.01 },
  { name: 'ballad_76_break', genre: 'ballad', tempo: [{ beats: 64, bpm: 76 }], breakBars: [8, 2] },
  { name: 'strings_92', genre: 'strings', tempo: [{ beats: 80, bpm: 92 }] },
  { name: 'strings_84_rubato', genre: 'strings', tempo: [{ beats: 72, bpm: 84 }], rubato: 0.015 },
  { name: 'strings_ramp_80_110', genre: 'strings', tempo: [{ beats: 96, bpm: 80, toBpm: 110 }] },
  { name: 'piano_110_rubato', genre: 'piano', tempo: [{ beats: 80, bpm: 110 }], rubato: 0.008 },
  { name: 'piano_72', genre: 'piano', tempo: [{ beats: 56, bpm: 72 }] },
  { name: 'chiptune_150', genre: 'chiptune', tempo: [{ beats: 128, bpm: 150 }], jitterS: 0 },
  { name: 'chiptune_200', genre: 'chiptune', tempo: [{ beats: 160, bpm: 200 }], jitterS: 0 },
  { name: 'clip_dance_12s', genre: 'four_on_floor', tempo: [{ beats: 24, bpm: 124 }] },
  { name: 'clip_rock_13s', genre: 'rock', tempo: [{ beats: 28, bpm: 128 }] },
  { name: 'clip_piano_15s', genre: 'piano', tempo: [{ beats: 24, bpm: 96 }] },
] satisfies SongSpec[]);

/**
 * What `make test` checks (test/analysis-corpus.test.ts): the phase-inverted master (a historic false "no
 * beats"), a pulse-free break, swing, a waltz, drum'n'bass (the metrical level) and a 13-second clip.
 */
export const TEST_SLICE: readonly string[] = Object.freeze([
  'dance_128_phase_inverted',
  'dance_122_break',
  'shuffle_96',
  'waltz_150',
  'breakbeat_172',
  'clip_rock_13s',
]);
