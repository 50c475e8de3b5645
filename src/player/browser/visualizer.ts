/**
 * The canvas visualizer: beats on a circle coloured by section, candidate jumps as arcs (those the current
 * settings allow drawn brighter), the sounding beat highlighted and each taken jump animated. The static
 * part is drawn once per track / size / settings change into an offscreen canvas; each frame only blits it
 * and draws the moving parts.
 */
import type { AnalysisResult } from '../../analysis/types.js';
import { eligibleCandidates } from '../eligible.js';
import type { PlayerSettings } from '../settings.js';

interface Pt {
  x: number;
  y: number;
}

interface Flash {
  from: number;
  to: number;
  /** performance.now() when the jump was heard. */
  at: number;
}

const FLASH_MS = 1600;

export class Visualizer {
  readonly #canvas: HTMLCanvasElement;
  readonly #g: CanvasRenderingContext2D;
  #analysis: AnalysisResult | null = null;
  #settings: PlayerSettings | null = null;
  #static: HTMLCanvasElement | null = null;
  #size = 0;
  #flashes: Flash[] = [];

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
    this.#g = canvas.getContext('2d')!;
  }

  setTrack(analysis: AnalysisResult | null, settings: PlayerSettings): void {
    this.#analysis = analysis;
    this.#settings = settings;
    this.#flashes = [];
    this.#static = null;
  }

  setSettings(settings: PlayerSettings): void {
    this.#settings = settings;
    this.#static = null;
  }

  /** Animates a taken jump (call when it becomes audible). */
  flash(from: number, to: number): void {
    this.#flashes.push({ from, to, at: performance.now() });
    if (this.#flashes.length > 8) this.#flashes.shift();
  }

  #n(): number {
    return Math.max(1, this.#analysis?.beats.length ?? 1);
  }

  #geometry() {
    const s = this.#size;
    return { c: { x: s / 2, y: s / 2 }, r: s * 0.42 };
  }

  #pos(i: number, radius?: number): Pt {
    const { c, r } = this.#geometry();
    const a = -Math.PI / 2 + (2 * Math.PI * i) / this.#n();
    const rr = radius ?? r;
    return { x: c.x + rr * Math.cos(a), y: c.y + rr * Math.sin(a) };
  }

  /** Control point of the arc i→j: short jumps hug the rim, jumps across the circle pass near the centre. */
  #control(a: Pt, b: Pt): Pt {
    const { c } = this.#geometry();
    const k = 0.25;
    return { x: c.x + ((a.x + b.x) / 2 - c.x) * k, y: c.y + ((a.y + b.y) / 2 - c.y) * k };
  }

  #arc(g: CanvasRenderingContext2D, i: number, j: number): void {
    const a = this.#pos(i);
    const b = this.#pos(j);
    const q = this.#control(a, b);
    g.moveTo(a.x, a.y);
    g.quadraticCurveTo(q.x, q.y, b.x, b.y);
  }

  /** Section colours: distinct hues per label (golden-angle steps), the same label the same colour. */
  #colours(): string[] {
    const a = this.#analysis;
    if (!a) return [];
    const labels = [...new Set(a.sections.map((s) => s.label))];
    return a.sections.map((s) => `hsl(${(labels.indexOf(s.label) * 137.5 + 25) % 360} 70% 58%)`);
  }

  #fit(): void {
    const dpr = window.devicePixelRatio || 1;
    const css = Math.max(100, Math.round(this.#canvas.clientWidth || 400));
    const px = Math.round(css * dpr);
    if (this.#canvas.width !== px || this.#canvas.height !== px) {
      this.#canvas.width = px;
      this.#canvas.height = px;
      this.#static = null;
    }
    this.#size = px;
  }

  #drawStatic(): HTMLCanvasElement {
    const off = document.createElement('canvas');
    off.width = off.height = this.#size;
    const g = off.getContext('2d')!;
    const a = this.#analysis;
    const s = this.#settings;
    if (!a || !s) return off;
    const n = a.beats.length;
    g.lineWidth = Math.max(1, this.#size / 1200);
    // All candidates faint, the ones the settings allow brighter (dimmer when there are many).
    const arcs = a.candidates.reduce((k, l) => k + l.length, 0);
    const alpha = Math.min(0.35, Math.max(0.06, 30 / Math.max(1, arcs)));
    g.strokeStyle = 'rgba(154,160,171,0.08)';
    g.beginPath();
    a.candidates.forEach((list, i) => list.forEach((c) => this.#arc(g, i, c.target)));
    g.stroke();
    g.strokeStyle = `rgba(255,179,71,${alpha.toFixed(3)})`;
    g.beginPath();
    for (let i = 0; i < n; i++) for (const c of eligibleCandidates(a, i, s)) this.#arc(g, i, c.target);
    g.stroke();
    const colours = this.#colours();
    const dot = Math.max(2, Math.min(this.#size / 110, (Math.PI * this.#geometry().r) / Math.max(1, n)));
    for (let i = 0; i < n; i++) {
      const p = this.#pos(i);
      g.fillStyle = colours[a.beats[i].section] ?? '#888';
      g.beginPath();
      g.arc(p.x, p.y, dot, 0, 2 * Math.PI);
      g.fill();
    }
    if (a.track.last_branch_beat >= 0) {
      const p = this.#pos(a.track.last_branch_beat, this.#geometry().r * 1.07);
      g.fillStyle = '#e8e8ea';
      g.beginPath();
      g.arc(p.x, p.y, dot * 0.6, 0, 2 * Math.PI);
      g.fill();
    }
    return off;
  }

  /** Draws one frame; `current` is the sounding beat (or null when stopped). */
  draw(current: number | null): void {
    this.#fit();
    const g = this.#g;
    g.clearRect(0, 0, this.#size, this.#size);
    if (!this.#analysis) return;
    this.#static ??= this.#drawStatic();
    g.drawImage(this.#static, 0, 0);
    const now = performance.now();
    this.#flashes = this.#flashes.filter((f) => now - f.at < FLASH_MS);
    for (const f of this.#flashes) {
      const t = (now - f.at) / FLASH_MS;
      g.strokeStyle = `rgba(255,255,255,${(1 - t).toFixed(3)})`;
      g.lineWidth = Math.max(2, this.#size / 250) * (1 - t * 0.5);
      g.beginPath();
      this.#arc(g, f.from, f.to);
      g.stroke();
      // A dot travelling along the arc during the first quarter of the animation.
      const u = Math.min(1, t * 4);
      const a = this.#pos(f.from);
      const b = this.#pos(f.to);
      const c = this.#control(a, b);
      const x = (1 - u) ** 2 * a.x + 2 * (1 - u) * u * c.x + u ** 2 * b.x;
      const y = (1 - u) ** 2 * a.y + 2 * (1 - u) * u * c.y + u ** 2 * b.y;
      g.fillStyle = `rgba(255,179,71,${(1 - t).toFixed(3)})`;
      g.beginPath();
      g.arc(x, y, this.#size / 90, 0, 2 * Math.PI);
      g.fill();
    }
    if (current !== null) {
      const p = this.#pos(current);
      g.fillStyle = '#ffffff';
      g.strokeStyle = '#ffb347';
      g.lineWidth = Math.max(2, this.#size / 300);
      g.beginPath();
      g.arc(p.x, p.y, this.#size / 60, 0, 2 * Math.PI);
      g.fill();
      g.stroke();
    }
  }

  /** The beat under a click (canvas CSS pixels), or null when the click is not near the circle. */
  beatAtPoint(clientX: number, clientY: number): number | null {
    if (!this.#analysis || this.#analysis.beats.length === 0) return null;
    const rect = this.#canvas.getBoundingClientRect();
    const scale = this.#size / rect.width;
    const x = (clientX - rect.left) * scale;
    const y = (clientY - rect.top) * scale;
    const { c, r } = this.#geometry();
    const d = Math.hypot(x - c.x, y - c.y);
    if (d < r * 0.75 || d > r * 1.25) return null;
    let a = Math.atan2(y - c.y, x - c.x) + Math.PI / 2;
    if (a < 0) a += 2 * Math.PI;
    const n = this.#n();
    return Math.round((a / (2 * Math.PI)) * n) % n;
  }
}
