/**
 * <acip-graphs>: the three uPlot graphs of one link over the last 10 minutes (issue 6 §2):
 * buffer delay vs jitter, lost / late / concealed packets per second, RTT. Created when shown
 * (the card's <details> opens), refreshed by the app at the stats rate.
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

const AXIS = { stroke: '#aab4c0', grid: { stroke: '#232b35', width: 1 }, ticks: { stroke: '#2c333d', width: 1 } };

export class AcipGraphs extends HTMLElement {
  series: LinkSeries | null = null;
  private plots: uPlot[] = [];
  private observer: ResizeObserver | null = null;

  connectedCallback(): void {
    if (this.plots.length || !this.series) return;
    const width = this.chartWidth();
    for (const spec of SPECS) {
      const fig = document.createElement('figure');
      const cap = document.createElement('figcaption');
      cap.textContent = spec.title;
      fig.append(cap);
      this.append(fig);
      const opts: uPlot.Options = {
        width,
        height: 120,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ ...AXIS }, { ...AXIS, size: 44 }],
        series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, spanGaps: false }))],
      };
      this.plots.push(new uPlot(opts, spec.ring(this.series).columns() as uPlot.AlignedData, fig));
    }
    this.observer = new ResizeObserver(() => {
      const w = this.chartWidth();
      for (const p of this.plots) p.setSize({ width: w, height: 120 });
    });
    this.observer.observe(this);
  }

  private chartWidth(): number {
    return Math.max(200, Math.floor((this.clientWidth || 320) - 4));
  }

  refresh(): void {
    if (!this.series) return;
    SPECS.forEach((spec, i) => this.plots[i]?.setData(spec.ring(this.series!).columns() as uPlot.AlignedData));
  }

  disconnectedCallback(): void {
    this.observer?.disconnect();
    this.observer = null;
    for (const p of this.plots) p.destroy();
    this.plots = [];
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
