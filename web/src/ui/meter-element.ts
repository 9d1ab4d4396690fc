/**
 * <acip-meter>: peak-programme level bars for one direction of one link, drawn on a canvas.
 * Drawing runs from requestAnimationFrame and reads the latest reading from the store, so the bar
 * falls smoothly at any frame rate and independently of the 10 Hz meter messages.
 * `data-levels` carries the latest peak readings (dBFS, one per channel) for tests and tools.
 * A `compact` meter (a row of the compact board) is a thin bar per channel: no scale, no labels, a
 * narrow clip lamp.
 */
import type { LinkMeters } from '../model/api-types.js';
import { ALIGNMENT_DB, ChannelBallistics, METER_FLOOR_DB, PERMITTED_MAX_DB, dbToFraction } from '../model/meter-math.js';
import { formatDbfs } from '../model/format.js';
import type { MeterReading } from '../model/panel-store.js';

type Source = (linkId: string) => MeterReading | undefined;
let meterSource: Source = () => undefined;

export function setMeterSource(src: Source): void {
  meterSource = src;
}

const active = new Set<AcipMeter>();
let rafId: number | null = null;

function loop(now: number): void {
  for (const m of active) m.frame(now);
  rafId = active.size > 0 ? requestAnimationFrame(loop) : null;
}

function ensureLoop(): void {
  if (rafId === null && active.size > 0) rafId = requestAnimationFrame(loop);
}

const COLORS = {
  bg: '#0b0e12',
  track: '#1c232c',
  low: '#3fbf6f',
  nominal: '#e0c341',
  high: '#ff5a4f',
  peak: '#f4f7fb',
  tick: '#5b6777',
  clipOn: '#ff3030',
  clipOff: '#3a2a2a',
  text: '#aab4c0',
};

export class AcipMeter extends HTMLElement {
  linkId = '';
  which: 'input' | 'output' = 'input';
  compact = false;
  private canvas: HTMLCanvasElement | null = null;
  private channels: ChannelBallistics[] = [];
  private lastFeedAt = -1;
  private lastClips = -1;
  private lastLabelAt = -Infinity;
  private observer: ResizeObserver | null = null;
  /** What the canvas shows now (size and each channel's bar, peak and clip light), to skip identical redraws. */
  private drawnKey = '';

  connectedCallback(): void {
    if (!this.canvas) {
      this.canvas = document.createElement('canvas');
      this.canvas.setAttribute('role', 'img');
      this.canvas.addEventListener('click', () => this.channels.forEach((c) => c.resetClip()));
      this.append(this.canvas);
    }
    this.updateLabel([]);
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this);
    this.resize();
    active.add(this);
    ensureLoop();
  }

  disconnectedCallback(): void {
    active.delete(this);
    this.observer?.disconnect();
    this.observer = null;
  }

  /** Bar height per channel and the scale strip below the bars, CSS px: big enough to read across a room. */
  private static readonly ROW_PX = 16;
  private static readonly SCALE_PX = 13;
  private static readonly COMPACT_ROW_PX = 6;

  private get rowPx(): number {
    return this.compact ? AcipMeter.COMPACT_ROW_PX : AcipMeter.ROW_PX;
  }

  private get scalePx(): number {
    return this.compact ? 0 : AcipMeter.SCALE_PX;
  }

  /** Size the backing store to the element's CSS width (the canvas's CSS width is 100 %, so no feedback loop). */
  private resize(): void {
    const c = this.canvas;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(60, Math.floor(this.clientWidth || 240));
    const n = Math.max(1, this.channels.length || 2);
    const h = n * this.rowPx + this.scalePx + 2;
    c.style.height = `${h}px`;
    const bw = Math.floor(w * dpr);
    const bh = Math.floor(h * dpr);
    if (c.width !== bw) c.width = bw;
    if (c.height !== bh) c.height = bh;
  }

  private updateLabel(peaks: (number | null)[]): void {
    const name = this.which === 'input' ? 'Input level' : 'Output level';
    const text = peaks.length ? peaks.map((p, i) => `channel ${i + 1} ${formatDbfs(p)}`).join(', ') : 'no signal';
    this.canvas?.setAttribute('aria-label', `${name}: ${text}`);
  }

  /** One animation frame: take in a new reading if there is one, advance ballistics, draw. */
  frame(now: number): void {
    const reading = meterSource(this.linkId);
    const side: LinkMeters['input'] | undefined = reading?.meters[this.which];
    if (reading && side && reading.atMs !== this.lastFeedAt) {
      this.lastFeedAt = reading.atMs;
      const n = side.peak.length;
      const resize = n !== this.channels.length;
      while (this.channels.length < n) this.channels.push(new ChannelBallistics());
      this.channels.length = n;
      if (resize) this.resize();
      const clipped = this.lastClips >= 0 && side.clips > this.lastClips;
      this.lastClips = side.clips;
      side.peak.forEach((p, i) => this.channels[i]!.feed(p, now, clipped));
      this.dataset.levels = side.peak.map((p) => (p === null ? '-inf' : p.toFixed(1))).join(',');
      // The accessible label changes at most once a second: a screen reader should not chatter.
      if (now - this.lastLabelAt > 1000) {
        this.lastLabelAt = now;
        this.updateLabel(side.peak);
      }
    }
    for (const ch of this.channels) ch.step(now);
    // A board of a hundred meters mostly shows silence or a settled bar: redraw only what moved.
    const c = this.canvas;
    const key = `${c?.width}x${c?.height}|${this.channels.map((ch) => `${ch.barDb.toFixed(1)},${ch.peakDb.toFixed(1)},${ch.clipLit(now) ? 1 : 0}`).join('|')}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    this.draw(now);
  }

  private draw(now: number): void {
    const c = this.canvas;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const W = c.width / dpr;
    const H = c.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, W, H);
    const labelW = this.compact ? 0 : 16;
    const clipW = this.compact ? 8 : 34;
    const x0 = labelW;
    const barW = W - labelW - clipW - 4;
    const n = Math.max(1, this.channels.length);
    const scaleH = this.scalePx;
    const rowH = (H - scaleH - 2) / n;
    const xAt = (db: number) => x0 + dbToFraction(db) * barW;
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (let i = 0; i < n; i++) {
      const ch = this.channels[i];
      const y = 1 + i * rowH;
      const h = Math.max(2, rowH - 2);
      if (!this.compact) {
        ctx.fillStyle = COLORS.text;
        ctx.fillText(n === 2 ? (i === 0 ? 'L' : 'R') : String(i + 1), 2, y + h / 2);
      }
      ctx.fillStyle = COLORS.track;
      ctx.fillRect(x0, y, barW, h);
      if (!ch) continue;
      const bar = ch.barDb;
      if (bar > METER_FLOOR_DB) {
        // Three zones: below alignment level, up to the permitted maximum, above it.
        const segs: [number, number, string][] = [
          [METER_FLOOR_DB, ALIGNMENT_DB, COLORS.low],
          [ALIGNMENT_DB, PERMITTED_MAX_DB, COLORS.nominal],
          [PERMITTED_MAX_DB, 0, COLORS.high],
        ];
        for (const [from, to, color] of segs) {
          if (bar <= from) break;
          const xa = xAt(from);
          const xb = xAt(Math.min(bar, to));
          ctx.fillStyle = color;
          ctx.fillRect(xa, y, xb - xa, h);
        }
      }
      const peak = ch.peakDb;
      if (peak > METER_FLOOR_DB) {
        ctx.fillStyle = COLORS.peak;
        ctx.fillRect(Math.min(xAt(peak), x0 + barW - 2), y, 2, h);
      }
      const lit = ch.clipLit(now);
      ctx.fillStyle = lit ? COLORS.clipOn : COLORS.clipOff;
      ctx.fillRect(x0 + barW + 4, y, clipW - 2, h);
      if (lit && !this.compact) {
        ctx.fillStyle = '#fff';
        ctx.font = '700 10px system-ui, sans-serif';
        ctx.fillText('CLIP', x0 + barW + 6, y + h / 2);
        ctx.font = '600 11px system-ui, sans-serif';
      }
    }
    if (this.compact) return;
    // Scale: ticks every 10 dB, alignment level (−18) and permitted maximum (−9) marked and labelled.
    const ys = H - scaleH;
    ctx.fillStyle = COLORS.tick;
    for (const db of [-60, -50, -40, -30, -20, -18, -10, -9, 0]) {
      const x = xAt(db);
      ctx.fillRect(x, ys, 1, db === -18 || db === -9 ? 5 : 3);
    }
    ctx.fillStyle = COLORS.text;
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'center';
    for (const db of [-40, -30, -18, -9]) ctx.fillText(String(db), xAt(db), H - 1);
    ctx.textAlign = 'right';
    ctx.fillText('0', xAt(0), H - 1);
    ctx.textAlign = 'left';
  }
}

export function defineMeter(): void {
  if (!customElements.get('acip-meter')) customElements.define('acip-meter', AcipMeter);
}
