/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), what a scraper reads
 * from /metrics: `# HELP` / `# TYPE` comments, then one sample a line,
 * `name{label="value",…} value [timestamp]`. Label values may escape `\\`, `\"` and `\n`.
 * Pure: text in, samples out; a malformed line throws with its line number.
 */

export interface Sample {
  name: string;
  /** Label name → value (a Map, since the keys come from the scraped text). */
  labels: Map<string, string>;
  value: number;
}

export class ExpositionError extends Error {
  readonly code = 'PROM_TEXT_INVALID';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES = new Map([['\\', '\\'], ['"', '"'], ['n', '\n']]);

/** Special values, case-insensitive as Prometheus reads them (prom-client writes `Nan`). */
const SPECIAL = new Map([['+inf', Number.POSITIVE_INFINITY], ['inf', Number.POSITIVE_INFINITY], ['-inf', Number.NEGATIVE_INFINITY], ['nan', Number.NaN]]);

function parseValue(text: string, line: number): number {
  const special = SPECIAL.get(text.toLowerCase());
  if (special !== undefined) return special;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new ExpositionError(`bad sample value "${text.slice(0, 40)}"`, line);
  return v;
}

/** Parses `{a="1",b="2"}` starting at `s[0] === '{'`; returns the labels and the rest after `}`. */
function parseLabels(s: string, line: number): { labels: Map<string, string>; rest: string } {
  const labels = new Map<string, string>();
  let i = 1;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const m = LABEL_NAME.exec(s.slice(i));
    if (!m) throw new ExpositionError('bad label name', line);
    const key = m[0];
    i += key.length;
    if (s[i] !== '=' || s[i + 1] !== '"') throw new ExpositionError(`label ${key} without ="value"`, line);
    i += 2;
    let value = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\') {
        const e = ESCAPES.get(s[i + 1] ?? '');
        if (e === undefined) throw new ExpositionError(`bad escape in label ${key}`, line);
        value += e;
        i += 2;
      } else {
        value += s[i];
        i += 1;
      }
    }
    if (i >= s.length) throw new ExpositionError(`unterminated value of label ${key}`, line);
    labels.set(key, value);
    i += 1;
    if (s[i] === ',') i += 1;
    else if (s[i] !== '}') throw new ExpositionError('expected , or } after a label', line);
  }
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    const m = NAME.exec(s);
    if (!m) throw new ExpositionError('bad metric name', line);
    let rest = s.slice(m[0].length);
    let labels = new Map<string, string>();
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2) throw new ExpositionError('expected a value and an optional timestamp', line);
    out.push({ name: m[0], labels, value: parseValue(fields[0] ?? '', line) });
  });
  return out;
}

/** The sum of the samples named `name` whose labels include every pair of `match`. */
export function sumSamples(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels.get(k) === v)) sum += s.value;
  }
  return sum;
}
