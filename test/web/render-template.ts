/**
 * Renders a lit-html TemplateResult to an HTML string in node, without a DOM, so the panel's views
 * can be tested from a fixed state. A TemplateResult is the template's static strings and the values
 * between them; each value is rendered by where it sits:
 * - between elements (child position): text, escaped; nested templates and arrays recursively;
 *   `nothing`, null and undefined render nothing;
 * - as a whole attribute: `name=${v}` → name="v" (escaped); `?name=${v}` → `name` when v is truthy;
 *   `.prop=${v}` → prop="v" for strings and numbers, `prop` for true, nothing otherwise;
 *   `@event=${fn}` → data-on-event="N", with fn kept as `handlers[N]` so a test can fire it;
 * - inside a quoted attribute value (`class="tone-${t}"`): the value as escaped text.
 * Good enough for the panel's templates (no directives, no element-position bindings); not a general
 * lit renderer.
 */
import { nothing, type TemplateResult } from 'lit';

export interface Rendered {
  html: string;
  handlers: ((ev: unknown) => unknown)[];
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

function isTemplate(v: unknown): v is TemplateResult {
  return typeof v === 'object' && v !== null && '_$litType$' in v && 'strings' in v && 'values' in v;
}

/** Whether the end of `out` is inside a start tag (after its `<name`, before its `>`). */
function insideTag(out: string): boolean {
  return out.lastIndexOf('<') > out.lastIndexOf('>');
}

const WHOLE_ATTRIBUTE = /\s([.?@]?)([^\s"'>/=]+)=(["']?)$/;

export function renderTemplate(v: unknown): Rendered {
  const handlers: Rendered['handlers'] = [];
  const html = renderValue(v, handlers);
  return { html, handlers };
}

function renderValue(v: unknown, handlers: Rendered['handlers']): string {
  if (v === nothing || v === null || v === undefined) return '';
  if (isTemplate(v)) return renderResult(v, handlers);
  if (typeof v === 'string') return escape(v);
  if (typeof v === 'object' && Symbol.iterator in v) return [...(v as Iterable<unknown>)].map((x) => renderValue(x, handlers)).join('');
  return escape(String(v));
}

function renderResult(t: TemplateResult, handlers: Rendered['handlers']): string {
  let out = '';
  let dropQuote = '';
  t.strings.forEach((raw, i) => {
    let s = raw;
    if (dropQuote && s.startsWith(dropQuote)) s = s.slice(1);
    dropQuote = '';
    out += s;
    if (i >= t.values.length) return;
    const value = t.values[i];
    if (!insideTag(out)) {
      out += renderValue(value, handlers);
      return;
    }
    const m = WHOLE_ATTRIBUTE.exec(out);
    const next = t.strings[i + 1] ?? '';
    if (!m || (m[3] && !next.startsWith(m[3]))) {
      out += value === nothing || value === null || value === undefined ? '' : escape(String(value));
      return;
    }
    out = out.slice(0, m.index);
    dropQuote = m[3] ?? '';
    out += attribute(m[1] ?? '', m[2] ?? '', value, handlers);
  });
  return out;
}

function attribute(kind: string, name: string, value: unknown, handlers: Rendered['handlers']): string {
  switch (kind) {
    case '@':
      handlers.push(value as (ev: unknown) => unknown);
      return ` data-on-${name}="${handlers.length - 1}"`;
    case '?':
      return value ? ` ${name}` : '';
    case '.':
      if (value === true) return ` ${name}`;
      return typeof value === 'string' || typeof value === 'number' ? ` ${name}="${escape(String(value))}"` : '';
    default:
      return value === nothing ? '' : ` ${name}="${value === null || value === undefined ? '' : escape(String(value))}"`;
  }
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

const INLINE_TAG = /<\/?(span|strong|em|b|i|a|abbr|code)\b[^>]*>/g;

/**
 * What a reader sees of an HTML fragment: inline tags dropped, every other tag a word break (a cell,
 * a term and its definition, a list item read apart), entities decoded, white space collapsed.
 */
export function textOf(html: string): string {
  return html
    .replace(INLINE_TAG, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!)
    .replace(/\s+/g, ' ')
    .trim();
}

export interface RenderedElement {
  attrs: Record<string, string>;
  /** The inner HTML. */
  inner: string;
  /** The inner text as a reader sees it. */
  text: string;
}

function parseAttributes(src: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const a of src.matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)) attrs[a[1]!] = textOf(a[2] ?? '');
  return attrs;
}

/** The attributes of every `<tag …>` start tag, for void elements such as input. */
export function startTags(html: string, tag: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))].map((m) => parseAttributes(m[1] ?? ''));
}

/** Every `<tag>` element in the fragment, in document order (nested ones too, after their parent). */
export function elements(html: string, tag: string): RenderedElement[] {
  const token = new RegExp(`<${tag}\\b([^>]*)>|</${tag}\\s*>`, 'g');
  const open: { attrs: string; innerStart: number }[] = [];
  const found: { at: number; el: RenderedElement }[] = [];
  for (const m of html.matchAll(token)) {
    if (!m[0].startsWith('</')) {
      open.push({ attrs: m[1] ?? '', innerStart: m.index + m[0].length });
      continue;
    }
    const start = open.pop();
    if (!start) continue;
    const inner = html.slice(start.innerStart, m.index);
    found.push({ at: start.innerStart, el: { attrs: parseAttributes(start.attrs), inner, text: textOf(inner) } });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.el);
}

/** Each `<dt>` term with the text of the `<dd>` after it ("Codec" → "opus · 48 kHz · …"). */
export function definitions(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<dt\b[^>]*>([\s\S]*?)<\/dt>\s*<dd\b[^>]*>([\s\S]*?)<\/dd>/g)) out[textOf(m[1] ?? '')] = textOf(m[2] ?? '');
  return out;
}

/** The text of every button, in order. */
export function buttonTexts(html: string): string[] {
  return elements(html, 'button').map((b) => b.text);
}

/** The one button whose text is `text`. */
export function button(html: string, text: string): RenderedElement {
  const found = elements(html, 'button').filter((b) => b.text === text);
  if (found.length !== 1) throw new Error(`expected one "${text}" button, found ${found.length}`);
  return found[0]!;
}

/** Calls the listener an element's `@event` binding registered, with a fake event. */
export function fire(r: Rendered, el: RenderedElement, event: string, ev: Record<string, unknown> = {}): unknown {
  const index = el.attrs[`data-on-${event}`];
  if (index === undefined) throw new Error(`no ${event} listener on the element`);
  const fake = { preventDefault: () => undefined, target: {}, ...ev };
  return r.handlers[Number(index)]!(fake);
}
