import { describe, expect, it } from 'vitest';
import { planSplice } from '../src/render/splice.js';
import { BeatGrid, jumpFade } from '../src/player/grid.js';
import { Scheduler, type AudioSink } from '../src/player/scheduler.js';

const SR = 1000; // 1 frame = 1 ms keeps the arithmetic readable

interface FakeRun {
  id: number;
  start: number;
  offset: number;
  fadeIn: number;
  fadeOut?: { frame: number; fade: number };
  kill?: { frame: number; fade: number };
}

class FakeSink implements AudioSink<FakeRun> {
  runs: FakeRun[] = [];
  startRun(frame: number, offset: number, fadeIn: number): FakeRun {
    const r = { id: this.runs.length, start: frame, offset, fadeIn };
    this.runs.push(r);
    return r;
  }
  fadeOutRun(run: FakeRun, frame: number, fade: number): void {
    run.fadeOut = { frame, fade };
  }
  killRun(run: FakeRun, frame: number, fade: number): void {
    run.kill = { frame, fade };
  }
}

/** 20 beats of 500 ms from 250 ms; 10.5 s of audio. */
const beats = Array.from({ length: 20 }, (_, i) => ({ start: 0.25 + i * 0.5, duration: 0.5 }));
const grid = new BeatGrid(beats, SR, 10_500);

function setup(xfade = 30) {
  const sink = new FakeSink();
  const s = new Scheduler<FakeRun, { source: number; target: number }>(grid, sink, { sampleRate: SR, length: 10_500, crossfadeMs: () => xfade, marginFrames: 20 });
  return { sink, s };
}

describe('BeatGrid', () => {
  it('places beats on samples by the splice module rounding; the last beat ends at its duration (clipped)', () => {
    expect(grid.starts.slice(0, 3)).toEqual([250, 750, 1250]);
    expect(grid.ends[19]).toBe(10_250);
    const g = new BeatGrid([], SR, 500);
    expect([g.starts, g.ends]).toEqual([[0], [500]]);
  });

  it('jumpFade equals planSplice\u2019s clamped halves', () => {
    for (const [S, T, ms] of [[750, 5250, 30], [750, 5, 30], [10_490, 100, 40], [750, 5250, 0], [750, 5250, 31]] as const) {
      const p = planSplice({ sourceTime: S / SR, targetTime: T / SR, pre: 5, post: 5, crossfadeMs: ms, sampleRate: SR, length: 10_500 });
      const f = jumpFade(S, T, SR, 10_500, ms);
      expect([f.fadeBefore, f.fadeAfter]).toEqual([p.fadeBefore, p.fadeAfter]);
    }
  });
});

describe('Scheduler', () => {
  it('plays contiguously from the start, deciding each beat once, within the horizon only', () => {
    const { sink, s } = setup();
    s.start(0, null, 100);
    expect(sink.runs).toEqual([{ id: 0, start: 100, offset: 0, fadeIn: 0 }]);
    const asked: number[] = [];
    s.pump(0, 1200, (b) => (asked.push(b), null));
    expect(asked).toEqual([0, 1]); // beat 0 at frame 350, beat 1 at 850; beat 2 (1350) is beyond the horizon
    s.pump(100, 1200, (b) => (asked.push(b), null));
    expect(asked).toEqual([0, 1]);
    s.pump(900, 2000, (b) => (asked.push(b), null));
    expect(asked).toEqual([0, 1, 2, 3]);
    expect(s.advance(900).map((e) => e.beat)).toEqual([0, 1]);
    expect(s.counts.beatsHeard).toBe(2);
    expect(s.beatAt(1400)?.beat).toBe(2);
  });

  it('a jump cuts the run with the splice crossfade around the source beat\u2019s start and continues at the target', () => {
    const { sink, s } = setup(30);
    s.start(0, null, 100);
    // beat 0 at frame 350; jump at beat 2 (frame 1350) to beat 10 (sample 5250).
    const placed = s.pump(0, 2000, (b) => (b === 2 ? { source: 2, target: 10 } : null));
    expect(placed).toEqual([{ decision: { source: 2, target: 10 }, spliceFrame: 1350 }]);
    const [old, next] = sink.runs;
    expect(old.fadeOut).toEqual({ frame: 1335, fade: 30 });
    expect(next).toMatchObject({ start: 1335, offset: 5250 - 15, fadeIn: 30 });
    // After the jump the beats continue from 11, 500 frames later.
    s.pump(0, 2400, () => null);
    const heard = s.advance(2400);
    expect(heard.map((e) => [e.beat, e.frame, e.kind])).toEqual([
      [0, 350, 'beat'], [1, 850, 'beat'], [10, 1350, 'jump'], [11, 1850, 'beat'], [12, 2350, 'beat'],
    ]);
    expect(s.counts).toMatchObject({ jumpsScheduled: 1, jumpsHeard: 1 });
    expect(s.beatAt(1400)?.decision).toEqual({ source: 2, target: 10 });
    expect(s.positionAt(1850)).toBe(5750);
  });

  it('drops a jump whose fade would start too late rather than playing it late, and never decides beats already sounding', () => {
    const { sink, s } = setup(30);
    s.start(0, null, 100);
    // A throttled timer: the first pump comes at frame 1320, after beats 0 and 1 started, 30 frames before beat 2.
    const asked: number[] = [];
    const told: number[] = [];
    const placed = s.pump(1320, 2000, (b) => (asked.push(b), { source: b, target: 10 }), (d) => told.push(d.source));
    expect(asked).toEqual([2, 3]); // beats 0 and 1 are already sounding: no decision
    expect(told).toEqual([3]); // the dropped jump is not reported as placed (the ramp is not reset)
    // Beat 2 (frame 1350) would need its fade to start at 1335 < now + margin (1340): dropped.
    expect(s.counts.jumpsDropped).toBe(1);
    expect(placed.map((p) => p.decision.source)).toEqual([3]);
    expect(sink.runs.length).toBe(2);
  });

  it('refuses a jump whose fade would overlap the previous one', () => {
    const { s } = setup(250);
    // Jumping onto beat 10 and again at once is impossible with a 250 ms fade on 500 ms beats only if they overlap:
    s.start(0, null, 100);
    s.pump(0, 2400, (b) => (b === 2 ? { source: 2, target: 10 } : b === 11 ? { source: 11, target: 3 } : null));
    expect(s.counts.jumpsScheduled).toBe(2); // 500 frames apart, fades of 250: no overlap
    const t = setup(250);
    t.s.start(0, 3, 100); // starting mid-track fades in over 250 frames from 100
    t.s.pump(0, 400, (b) => (b === 3 ? { source: 3, target: 10 } : null));
    expect(t.s.counts.jumpsDropped).toBe(1);
  });

  it('a scheduled jump cut off by a pause or seek is never reported as heard (so never logged)', () => {
    for (const cut of ['stop', 'seek'] as const) {
      const { s } = setup(30);
      s.start(0, null, 100);
      s.pump(0, 1400, (b) => (b === 2 ? { source: 2, target: 10 } : null)); // jump at 1350, scheduled ahead
      expect(s.counts.jumpsScheduled).toBe(1);
      if (cut === 'stop') s.stop(1000);
      else s.seek(1000, 5);
      const heard = s.advance(3000);
      expect(heard.some((e) => e.decision !== null)).toBe(false);
      expect(s.counts.jumpsHeard).toBe(0);
    }
  });

  it('wraps to beat 0 after the last beat and keeps going', () => {
    const { sink, s } = setup(30);
    s.start(0, 17, 100);
    s.pump(0, 1800, () => null);
    const heard = s.advance(1800).map((e) => [e.beat, e.kind]);
    expect(heard).toEqual([[17, 'beat'], [18, 'beat'], [19, 'beat'], [0, 'wrap']]);
    expect(s.beatAt(1600)).toMatchObject({ beat: 0, frame: 1600, jumpFrom: 19, decision: null });
    expect(sink.runs.at(-1)).toMatchObject({ offset: 250 - 15 });
  });

  it('pause returns the beat to resume at and fades every run out; seek crossfades to the beat', () => {
    const { sink, s } = setup(30);
    s.start(0, null, 100);
    s.pump(0, 1000, () => null);
    s.seek(600, 12);
    expect(sink.runs[0].kill).toEqual({ frame: 620, fade: 30 });
    expect(sink.runs[1]).toMatchObject({ start: 620, offset: 6250, fadeIn: 30 });
    s.pump(620, 1200, () => null);
    expect(s.advance(1200).map((e) => [e.beat, e.kind])).toEqual([[0, 'beat'], [12, 'seek'], [13, 'beat']]);
    expect(s.stop(1200)).toBe(13);
    expect(sink.runs[1].kill).toEqual({ frame: 1220, fade: 30 });
    expect(s.running).toBe(false);
  });
});

/** Models Web Audio's automation rules: a curve may not contain another event of the same param. */
class CheckedParam {
  readonly events: { t: number; d: number }[] = [];
  add(t: number, d: number): void {
    for (const o of this.events) {
      if ((t > o.t && t < o.t + o.d) || (o.t > t && o.t < t + d)) throw new Error(`automation at ${t}+${d} overlaps ${o.t}+${o.d}`);
    }
    this.events.push({ t, d });
  }
}

interface CheckedRun {
  fade: CheckedParam;
  kill: CheckedParam;
  stopAt: number;
}

/** A sink that fails on what Chrome would refuse or do late: overlapping automation, or anything scheduled in the past. */
class CheckedSink implements AudioSink<CheckedRun> {
  now = 0;
  #apply(p: CheckedParam, frame: number, n: number): void {
    if (frame < this.now) throw new Error(`automation at ${frame} is in the past (now ${this.now})`);
    if (n >= 2) p.add(frame, n - 1);
    else if (n === 1) p.add(frame, 0);
    p.add(frame + n, 0);
  }
  startRun(frame: number, _offset: number, fadeIn: number): CheckedRun {
    if (frame < this.now) throw new Error(`run starts at ${frame}, in the past (now ${this.now})`);
    const r = { fade: new CheckedParam(), kill: new CheckedParam(), stopAt: Infinity };
    if (fadeIn > 0) this.#apply(r.fade, frame, fadeIn);
    return r;
  }
  fadeOutRun(r: CheckedRun, frame: number, fade: number): void {
    this.#apply(r.fade, frame, fade);
    r.stopAt = Math.min(r.stopAt, frame + fade);
  }
  killRun(r: CheckedRun, frame: number, fade: number): void {
    if (frame >= r.stopAt) return;
    this.#apply(r.kill, frame, fade);
    r.stopAt = Math.min(r.stopAt, frame + fade);
  }
}

describe('Scheduler under random timer jitter, pauses and seeks (seeded)', () => {
  it('never schedules in the past and never overlaps automation on one gain', async () => {
    const { createRng } = await import('../src/train/prng.js');
    const sr = 44_100;
    const beats60 = Array.from({ length: 60 }, (_, i) => ({ start: 0.25 + i * 0.5, duration: 0.5 }));
    const len = 31 * sr;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = createRng(seed);
      const sink = new CheckedSink();
      const s = new Scheduler<CheckedRun, { source: number; target: number }>(new BeatGrid(beats60, sr, len), sink, {
        sampleRate: sr, length: len, crossfadeMs: () => [0, 30, 120][seed % 3], marginFrames: 0.04 * sr,
      });
      const at = (f: number) => (sink.now = f);
      let now = at(Math.floor(rand() * 1000));
      s.start(now, rand() < 0.5 ? null : Math.floor(rand() * 60), 0.1 * sr);
      for (let step = 0; step < 150; step++) {
        // Mostly a 25 ms timer, sometimes a throttled one (up to a second late).
        now = at(now + Math.floor(rand() < 0.1 ? rand() * sr : rand() * 0.03 * sr));
        const r = rand();
        if (r < 0.03) {
          s.stop(now);
          s.start(now, Math.floor(rand() * 60), 0.1 * sr);
        } else if (r < 0.06) s.seek(now, Math.floor(rand() * 60));
        const horizon = now + Math.round((rand() < 0.5 ? 0.25 : 1.5) * sr);
        s.pump(now, horizon, (b) => (b >= 8 && rand() < 0.9 ? { source: b, target: (b + 7 + Math.floor(rand() * 40)) % 55 } : null));
        s.advance(now);
      }
      s.stop(now);
      expect(s.counts.jumpsScheduled).toBeGreaterThan(0);
    }
  });
});
