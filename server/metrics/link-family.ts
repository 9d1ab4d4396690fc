/**
 * Per-link metric families without prom-client's per-series bookkeeping. Every per-link series is
 * rewritten on every scrape from the links' snapshots; prom-client's Counter and Gauge hash every
 * label set on every `inc`/`set` into a map that the next scrape resets, and its registry formats
 * every label set again on every scrape. With 200 links (about 6000 series) that was most of a
 * scrape's cost on the main thread, where SIP is answered.
 *
 * Here a link's label sets are made once, with their text, while the link is on the board
 * (`LinkLabels`); a scrape only fills each family's rows. A `LinkFamily` is a metric as prom-client's
 * registry reads one (`get`, `reset`: any registry writes it exactly as a Counter or Gauge with the
 * same labels), and `promText` writes the same text from the label sets' cached text, without the
 * registry's per-series work (the service's registry uses it, see metrics.ts).
 */

export type Labels = Readonly<Record<string, string>>;

/** A label set and its text as it stands between the braces of a series. */
export interface LabelSet {
  labels: Labels;
  text: string;
}

/** One series: its label set and its value. */
export interface Row {
  value: number;
  set: LabelSet;
}

/** A HELP text or a name as the Prometheus text format 0.0.4 escapes it (backslash, line feed). */
export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value as the text format escapes it (backslash, line feed, double quote). */
function escapeLabelValue(s: string): string {
  return escapeText(s).replace(/"/g, '\\"');
}

/** A sample value as prom-client writes it (NaN as `Nan`, infinities as `+Inf`/`-Inf`). */
export function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

function labelSet(labels: Record<string, string>): LabelSet {
  const frozen = Object.freeze(labels);
  return {
    labels: frozen,
    text: Object.entries(frozen)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(','),
  };
}

/** A metric family as prom-client's registry reads it, written from the rows of the last scrape. */
export class LinkFamily {
  readonly aggregator = 'sum';
  rows: Row[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
  ) {}

  /** What a prom-client registry reads, for JSON and for text: every series with its labels in a fresh object. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { value: number; labels: Record<string, string> }[] }> {
    const values = this.rows.map((r) => ({ value: r.value, labels: { ...r.set.labels } }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The family in the text format, as a registry writes it: HELP, TYPE, one line per series. */
  promText(): string {
    const name = escapeText(this.name);
    const lines = [`# HELP ${name} ${escapeText(this.help)}`, `# TYPE ${name} ${this.type}`];
    for (const r of this.rows) lines.push(`${name}{${r.set.text}} ${valueText(r.value)}`);
    return lines.join('\n');
  }

  reset(): void {
    this.rows = [];
  }
}

/**
 * The label sets of one link, made once and reused by every scrape while the link is on the board:
 * `{link}`, and the sets with more labels by two keys (direction and channel, kind and reason, …).
 */
export class LinkLabels {
  readonly link: LabelSet;
  private readonly more = new Map<string, Map<string, LabelSet>>();
  /** The last scrape that saw the link (sets of links no scrape sees any more are dropped). */
  seen = 0;
  constructor(readonly id: string) {
    this.link = labelSet({ link: id });
  }

  with(a: string, b: string, make: () => Record<string, string>): LabelSet {
    let byB = this.more.get(a);
    if (!byB) this.more.set(a, (byB = new Map()));
    let set = byB.get(b);
    if (!set) byB.set(b, (set = labelSet(make())));
    return set;
  }
}
