import type { Peaks } from './wav.js';

/**
 * Draws the clip: the waveform (rendered once per clip into an offscreen canvas), the splice as a
 * vertical marker, and the playhead, redrawn every animation frame from the audio element's time.
 */
export class Waveform {
  private base: HTMLCanvasElement | null = null;
  private splice: number | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Columns to compute peaks for: one per device pixel. */
  columns(): number {
    this.fit();
    return this.canvas.width;
  }

  private fit(): void {
    const w = Math.max(200, Math.round(this.canvas.clientWidth * (window.devicePixelRatio || 1)));
    const h = Math.max(80, Math.round(this.canvas.clientHeight * (window.devicePixelRatio || 1)));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  /** Sets the clip's peaks and the splice position as a fraction of the clip (null: none). */
  set(peaks: Peaks, spliceFraction: number | null): void {
    this.fit();
    const { width: w, height: h } = this.canvas;
    const base = document.createElement('canvas');
    base.width = w;
    base.height = h;
    const g = base.getContext('2d')!;
    g.fillStyle = '#0e1014';
    g.fillRect(0, 0, w, h);
    g.strokeStyle = '#2a2f39';
    g.beginPath();
    g.moveTo(0, h / 2);
    g.lineTo(w, h / 2);
    g.stroke();
    g.fillStyle = '#6cb6ff';
    const n = peaks.min.length;
    for (let x = 0; x < w; x++) {
      const i = Math.min(n - 1, Math.floor((x * n) / w));
      const top = ((1 - peaks.max[i]!) / 2) * h;
      const bottom = ((1 - peaks.min[i]!) / 2) * h;
      g.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
    this.base = base;
    this.splice = spliceFraction;
    this.draw(0);
  }

  clear(): void {
    this.base = null;
    const g = this.canvas.getContext('2d')!;
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Redraws with the playhead at `fraction` (0..1) of the clip. */
  draw(fraction: number): void {
    if (!this.base) return;
    const g = this.canvas.getContext('2d')!;
    const { width: w, height: h } = this.canvas;
    g.drawImage(this.base, 0, 0);
    if (this.splice !== null) {
      const x = Math.round(this.splice * w);
      g.fillStyle = '#ffb347';
      g.fillRect(x - 1, 0, 2, h);
      g.font = `${Math.round(h / 10)}px system-ui, sans-serif`;
      g.fillText('splice', x + 4, Math.round(h / 8));
    }
    const px = Math.round(Math.min(1, Math.max(0, fraction)) * w);
    g.fillStyle = '#ffffff';
    g.fillRect(px, 0, 1, h);
  }
}
