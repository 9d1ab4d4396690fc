/**
 * <acip-graphs>: the three uPlot graphs of one link over the last 10 minutes:
 * buffer delay vs jitter, lost / late / concealed packets per second, RTT. Created when shown
 * (the card's <details> opens), refreshed by the app at the stats rate. Each caption names the
 * series in their colours with the latest value (or the value under the pointer), in place of uPlot's
 * legend table, so three graphs fit beside a card's figures at 1280×720.
 */
import uPlot from 'uplot';
import type { LinkSeries, TimeRing } from '../model/ring-series.js';

interface ChartSpec {
  title: string;
  ring: (s: LinkSeries) => TimeRing;
  series: { label: string; stroke: string; unit: string }[];
}

const SPECS: ChartSpec[] = [
  {
    title: 'Buffer delay vs jitter (ms)',
    ring: (s) => s.buffer,
    series: [
      { label: 'Buffer delay', stroke: '#58a6ff', unit: 'ms' },
      { label: 'Jitter', stroke: '#e0c341', unit: 'ms' },
    ],
  },
  {
    title: 'Lost / late / concealed packets per second',
    ring: (s) => s.losses,
    series: [
      { label: 'Lost', stroke: '#ff5a4f', unit: '' },
      { label: 'Late', stroke: '#f0883e', unit: '' },
      { label: 'Concealed', stroke: '#bc8cff', unit: '' },
    ],
  },
  {
    title: 'Round-trip time (ms)',
    ring: (s) => s.rtt,
    series: [{ label: 'RTT', stroke: '#3fbf6f', unit: 'ms' }],
  },
];

const AXIS = { stroke: '#c3ccd6', font: '12px system-ui, sans-serif', grid: { stroke: '#232b35', width: 1 }, ticks: { stroke: '#2c333d', width: 1 } };
const HEIGHT = 90;
/** Time-axis steps in whole seconds (uPlot would otherwise show half-second ticks in the first minute). */
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

const pad2 = (n: number) => String(n).padStart(2, '0');
/** Local wall-clock time of a graph point (seconds since the epoch) as HH:MM:SS. */
export function clockText(tS: number): string {
  const d = new Date(tS * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function valueText(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return unit ? `${v.toFixed(1)} ${unit}` : String(Math.round(v));
}

interface Chart {
  spec: ChartSpec;
  plot: uPlot;
  /** One <b> per series in the caption, holding its value. */
  values: HTMLElement[];
  when: HTMLElement;
}

export class AcipGraphs extends HTMLElement {
  series: LinkSeries | null = null;
  private charts: Chart[] = [];
  private observer: ResizeObserver | null = null;
  private waiting: HTMLParagraphElement | null = null;

  connectedCallback(): void {
    if (this.charts.length || !this.series) return;
    const width = this.chartWidth();
    this.waiting = document.createElement('p');
    this.waiting.className = 'waiting';
    this.waiting.textContent = 'Waiting for statistics (one point a second)…';
    this.append(this.waiting);
    for (const spec of SPECS) {
      const fig = document.createElement('figure');
      const cap = document.createElement('figcaption');
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = spec.title;
      cap.append(title);
      const values = spec.series.map((s) => {
        const key = document.createElement('span');
        key.className = 'key';
        const swatch = document.createElement('i');
        swatch.style.background = s.stroke;
        const value = document.createElement('b');
        key.append(swatch, `${s.label} `, value);
        cap.append(key);
        return value;
      });
      const when = document.createElement('span');
      when.className = 'when';
      cap.append(when);
      fig.append(cap);
      this.append(fig);
      const chart: Chart = { spec, plot: null as unknown as uPlot, values, when };
      const opts: uPlot.Options = {
        width,
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { ...AXIS, incrs: TIME_INCRS, values: (_u, splits) => splits.map((t) => clockText(t)), space: 70, size: 30 },
          { ...AXIS, size: 48 },
        ],
        series: [{ label: 'Time' }, ...spec.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false }))],
        hooks: { setCursor: [(u) => this.showValues(chart, u.cursor.idx)] },
      };
      chart.plot = new uPlot(opts, spec.ring(this.series).columns() as uPlot.AlignedData, fig);
      this.charts.push(chart);
    }
    this.observer = new ResizeObserver(() => {
      const w = this.chartWidth();
      for (const c of this.charts) if (c.plot.width !== w) c.plot.setSize({ width: w, height: HEIGHT });
    });
    this.observer.observe(this);
    this.refresh();
  }

  /** Caption values at point `idx` (the pointer's), or the latest point when the pointer is away. */
  private showValues(chart: Chart, idx: number | null | undefined): void {
    const plot = chart.plot as uPlot | null;
    if (!plot) return; // a hook firing while uPlot is still being built
    const data = plot.data;
    const n = data[0]?.length ?? 0;
    const i = idx ?? n - 1;
    chart.spec.series.forEach((s, k) => {
      chart.values[k]!.textContent = valueText(i >= 0 ? (data[k + 1]?.[i] as number | null | undefined) : null, s.unit);
    });
    const t = i >= 0 ? data[0]?.[i] : undefined;
    chart.when.textContent = idx == null ? '' : t !== undefined ? `at ${clockText(t)}` : '';
  }

  private chartWidth(): number {
    return Math.max(200, Math.floor((this.clientWidth || 320) - 4));
  }

  /** New data from the 1 Hz stats. `data-points` says how many points the graphs hold (for tests and tools). */
  refresh(): void {
    if (!this.series) return;
    let points = 0;
    for (const c of this.charts) {
      const cols = c.spec.ring(this.series).columns();
      points = Math.max(points, cols[0].length);
      c.plot.setData(cols as uPlot.AlignedData);
      this.showValues(c, c.plot.cursor.idx);
    }
    this.dataset.points = String(points);
    if (this.waiting) this.waiting.hidden = points >= 2;
    // No point yet (a call still ringing, or one that failed): the caption only, no empty plot areas.
    for (const c of this.charts) c.plot.root.hidden = points === 0;
  }

  disconnectedCallback(): void {
    this.observer?.disconnect();
    this.observer = null;
    for (const c of this.charts) c.plot.destroy();
    this.charts = [];
    this.waiting = null;
    this.replaceChildren();
  }
}

export function defineGraphs(): void {
  if (!customElements.get('acip-graphs')) customElements.define('acip-graphs', AcipGraphs);
}

/** Refresh every graph on the page (called at the stats rate). */
export function refreshAllGraphs(root: ParentNode): void {
  root.querySelectorAll('acip-graphs').forEach((g) => (g as AcipGraphs).refresh());
}
