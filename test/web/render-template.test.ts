import { html, nothing } from 'lit';
import { describe, expect, it } from 'vitest';
import { elements, fire, renderTemplate, startTags, textOf } from './render-template.js';

describe('rendering a lit template without a DOM', () => {
  it.each([
    ['escapes text in child position', html`<p>${'<b>&'}</p>`, '<p>&lt;b&gt;&amp;</p>'],
    ['renders nested templates and arrays', html`<ul>${[1, 2].map((n) => html`<li>${n}</li>`)}</ul>`, '<ul><li>1</li><li>2</li></ul>'],
    ['renders nothing, null and undefined as nothing', html`<p>${nothing}${null}${undefined}</p>`, '<p></p>'],
    ['sets a whole attribute, quoted or not', html`<a href=${'/x?a=1&b="2"'} title="${'t'}"></a>`, '<a href="/x?a=1&amp;b=&quot;2&quot;" title="t"></a>'],
    ['interpolates inside a quoted attribute', html`<span class="dot tone-${'ok'}"></span>`, '<span class="dot tone-ok"></span>'],
    ['keeps a boolean attribute only when true', html`<button ?disabled=${true}></button><button ?disabled=${false}></button>`, '<button disabled></button><button></button>'],
    ['shows string and true properties, drops objects', html`<input .value=${'v'} .checked=${true} .series=${{}} />`, '<input value="v" checked />'],
  ])('%s', (_name, template, expected) => {
    expect(renderTemplate(template).html).toBe(expected);
  });

  it('keeps event listeners so a test can fire them', () => {
    const seen: unknown[] = [];
    const r = renderTemplate(html`<button @click=${(ev: unknown) => seen.push(ev)}>Go</button>`);
    expect(r.html).toBe('<button data-on-click="0">Go</button>');
    fire(r, elements(r.html, 'button')[0]!, 'click', { detail: 1 });
    expect(seen).toMatchObject([{ detail: 1 }]);
  });

  it('reads text as a person would, and finds nested elements and void tags', () => {
    const h = '<div><dl><dt>Loss</dt><dd>0.5<span class="unit"> %</span></dd></dl><div id="in">x<br />y</div><input id="a" value="v" /></div>';
    expect(textOf(h)).toBe('Loss 0.5 % x y');
    expect(elements(h, 'div').map((d) => d.attrs.id ?? '')).toEqual(['', 'in']);
    expect(startTags(h, 'input')).toEqual([{ id: 'a', value: 'v' }]);
  });
});
