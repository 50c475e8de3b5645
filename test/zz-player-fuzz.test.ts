import { it, expect } from 'vitest';
import { BeatGrid } from '../src/player/grid.js';
import { Scheduler, type AudioSink } from '../src/player/scheduler.js';
import { createRng } from '../src/train/prng.js';

type Ev = { t: number; d: number; kind: 'curve' | 'set' };
class Param { ev: Ev[] = []; add(e: Ev, what: string) {
  for (const o of this.ev) {
    if (o.kind === 'curve' && e.t > o.t && e.t < o.t + o.d) throw new Error(`${what} at ${e.t} overlaps curve ${o.t}+${o.d}`);
    if (e.kind === 'curve' && o.t > e.t && o.t < e.t + e.d) throw new Error(`${what} curve ${e.t}+${e.d} contains event at ${o.t}`);
  }
  this.ev.push(e);
} }
interface R { fade: Param; kill: Param; stopAt: number; id: number }
class Sink implements AudioSink<R> {
  n = 0; log: string[] = [];
  apply(p: Param, frame: number, n: number, what: string) {
    if (n >= 2) p.add({ t: frame, d: n - 1, kind: 'curve' }, what);
    else if (n === 1) p.add({ t: frame, d: 0, kind: 'set' }, what);
    p.add({ t: frame + n, d: 0, kind: 'set' }, what + ' after');
  }
  startRun(frame: number, offset: number, fadeIn: number): R { const r = { fade: new Param(), kill: new Param(), stopAt: Infinity, id: this.n++ }; this.log.push(`start ${r.id} ${frame} off ${offset} fade ${fadeIn}`); if (fadeIn > 0) this.apply(r.fade, frame, fadeIn, `fadein ${r.id}`); return r; }
  fadeOutRun(r: R, frame: number, fade: number) { this.log.push(`fadeout ${r.id} ${frame} ${fade}`); this.apply(r.fade, frame, fade, `fadeout ${r.id}`); r.stopAt = Math.min(r.stopAt, frame + fade); }
  killRun(r: R, frame: number, fade: number) { this.log.push(`kill ${r.id} ${frame} ${fade}`); if (frame >= r.stopAt) return; this.apply(r.kill, frame, fade, `kill ${r.id}`); r.stopAt = Math.min(r.stopAt, frame + fade); }
}

it('never overlaps automation', () => {
  const SR = 44100;
  const beats = Array.from({ length: 60 }, (_, i) => ({ start: 0.25 + i * 0.5, duration: 0.5 }));
  const len = Math.round(31 * SR);
  for (let seed = 1; seed < 400; seed++) {
    const rand = createRng(seed);
    const sink = new Sink();
    const grid = new BeatGrid(beats, SR, len);
    const s = new Scheduler<R, { source: number; target: number }>(grid, sink, { sampleRate: SR, length: len, crossfadeMs: () => 30 });
    let now = Math.floor(rand() * 1000);
    s.start(now, rand() < 0.5 ? null : Math.floor(rand() * 60), Math.round(0.1 * SR));
    try {
      for (let step = 0; step < 200; step++) {
        now += Math.floor(rand() * (rand() < 0.1 ? SR : 0.03 * SR));
        const r = rand();
        if (r < 0.02) { s.stop(now); s.start(now, Math.floor(rand() * 60), Math.round(0.1 * SR)); }
        else if (r < 0.05) s.seek(now, Math.floor(rand() * 60));
        s.pump(now, now + Math.round((rand() < 0.5 ? 0.25 : 1.5) * SR), (b) => (b >= 8 && rand() < 0.9 ? { source: b, target: (b + 7 + Math.floor(rand() * 40)) % 55 } : null));
        s.advance(now);
      }
      s.stop(now);
    } catch (e) {
      console.log(seed, (e as Error).message, sink.log.slice(-12).join('\n'));
      throw e;
    }
  }
});
