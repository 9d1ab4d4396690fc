import { describe, expect, it } from 'vitest';
import type { Alarm, LinkSnapshot } from '../../web/src/model/api-types.js';
import { emptyLinkFilter, type LinkFilter } from '../../web/src/model/link-filter.js';
import { PanelStore } from '../../web/src/model/panel-store.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { linksView } from '../../web/src/ui/views/links-view.js';
import { PROFILES, panelState, recordingActions } from './panel-fixtures.js';
import { elements, fire, renderTemplate, startTags, textOf } from './render-template.js';
import { rxStats, snapshot } from './snapshots.js';

function storeWith(links: LinkSnapshot[], alarms: Alarm[] = []): PanelStore {
  const store = new PanelStore();
  for (const link of links) store.apply({ type: 'link', link }, 0);
  store.alarms = alarms;
  return store;
}

/** `n` connected links, studio-01 … studio-n. */
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => snapshot({ id: `l${i + 1}`, remote: `sip:studio-${String(i + 1).padStart(2, '0')}@192.0.2.1` }));

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(linksView(panelState({ profiles: PROFILES, ...over }), actions));
  return { ...r, text: textOf(r.html), calls, rows: elements(r.html, 'tr').filter((t) => t.attrs.class?.includes('link-row')), cards: elements(r.html, 'article') };
}

const filtered = (f: Partial<LinkFilter>): LinkFilter => ({ ...emptyLinkFilter(), ...f });

describe('compact board', () => {
  it.each([
    { mode: 'auto' as const, links: 8, rows: 0, cards: 8 },
    { mode: 'auto' as const, links: 9, rows: 9, cards: 0 },
    { mode: 'cards' as const, links: 20, rows: 0, cards: 20 },
    { mode: 'compact' as const, links: 1, rows: 1, cards: 0 },
  ])('in $mode layout with $links links shows $rows rows and $cards cards', ({ mode, links, rows, cards }) => {
    const r = render({ store: storeWith(many(links)), boardMode: mode });
    expect(r.rows).toHaveLength(rows);
    expect(r.cards).toHaveLength(cards);
  });

  it('shows one row per link with state word, remote name and URI, codec, loss, buffer and duration, and an input meter while connected', () => {
    const store = storeWith([
      snapshot({ id: 'c1', remoteName: 'Studio B', remote: 'sip:b@studio-b.example', durationS: 65, rx: rxStats({ lossPct: 0.25, bufferMs: 60 }) }),
      snapshot({ id: 'r1', state: 'ringing', remote: 'sip:c@studio-c.example', codec: null, rx: null }),
    ]);
    const r = render({ store, boardMode: 'compact', nowMs: 2500 });
    const cells = (id: string) => elements(r.rows.find((x) => x.attrs['data-link-id'] === id)!.inner, 'td').map((c) => c.text);
    expect(cells('c1')).toEqual(['Connected', 'Studio B sip:b@studio-b.example', 'opus 48 kHz 2 ch', '', '0.25 %', '60 ms', '1:07']);
    expect(cells('r1')).toEqual(['Ringing', 'sip:c@studio-c.example', '—', '—', '—', '—', '—']);
    expect(startTags(r.html, 'acip-meter')).toEqual([{ linkId: 'c1', which: 'input', compact: '' }]);
  });

  it('sorts rows by state, then by remote', () => {
    const store = storeWith([
      snapshot({ id: 'a', remote: 'sip:zulu@x' }),
      snapshot({ id: 'b', remote: 'sip:alpha@x', state: 'ended' }),
      snapshot({ id: 'c', remote: 'sip:bravo@x' }),
      snapshot({ id: 'd', remote: 'sip:yankee@x', state: 'failed' }),
      snapshot({ id: 'e', remote: 'sip:x@x', remoteName: 'Alpha studio' }),
    ]);
    expect(render({ store, boardMode: 'compact' }).rows.map((r) => r.attrs['data-link-id'])).toEqual(['d', 'e', 'c', 'a', 'b']);
  });

  it('names a row by its link, state and problems, for screen readers', () => {
    const store = storeWith([snapshot({ id: 'c1', remoteName: 'Studio B', rx: rxStats({ lossPct: 2 }) })]);
    const row = render({ store, boardMode: 'compact' }).rows[0]!;
    expect(row.attrs['aria-label']).toBe('Link Studio B: Connected, loss 2.0 %');
    expect(row.attrs.tabindex).toBe('0');
  });

  it('opens a link’s full card from its row by click, Enter or Space, and not on other keys', () => {
    const r = render({ store: storeWith(many(10)) });
    const row = r.rows.find((x) => x.attrs['data-link-id'] === 'l3')!;
    fire(r, row, 'click');
    fire(r, row, 'keydown', { key: 'Enter' });
    fire(r, row, 'keydown', { key: ' ' });
    fire(r, row, 'keydown', { key: 'a' });
    expect(r.calls).toEqual([
      { name: 'openLink', args: ['l3'] },
      { name: 'openLink', args: ['l3'] },
      { name: 'openLink', args: ['l3'] },
    ]);
  });

  it('shows the open link’s full card in a dialog over the board, closed by Escape, by × and by a click outside it', () => {
    const r = render({ store: storeWith(many(10)), openLinkId: 'l3' });
    const dialog = elements(r.html, 'div').find((d) => d.attrs.role === 'dialog')!;
    expect(dialog.attrs['aria-label']).toBe('Link sip:studio-03@192.0.2.1');
    expect(elements(dialog.inner, 'article').map((a) => a.attrs['data-link-id'])).toEqual(['l3']);
    expect(dialog.text).toContain('Hang up');
    fire(r, dialog, 'keydown', { key: 'Escape' });
    fire(r, dialog, 'keydown', { key: 'Escape', defaultPrevented: true }); // an armed hang-up took it
    fire(r, elements(dialog.inner, 'button').find((b) => b.text === '×')!, 'click');
    const overlay = elements(r.html, 'div').find((d) => d.attrs.class === 'card-overlay')!;
    const same = {};
    fire(r, overlay, 'click', { target: same, currentTarget: same });
    fire(r, overlay, 'click', { target: {}, currentTarget: same });
    expect(r.calls).toEqual([
      { name: 'openLink', args: [null] },
      { name: 'openLink', args: [null] },
      { name: 'openLink', args: [null] },
    ]);
  });

  it('shows no dialog for an open link that has gone, nor over full cards', () => {
    expect(render({ store: storeWith(many(10)), openLinkId: 'gone' }).html).not.toContain('role="dialog"');
    expect(render({ store: storeWith(many(10)), openLinkId: 'l3', boardMode: 'cards' }).html).not.toContain('role="dialog"');
  });

  it('renders a caller-supplied display name in a row as text, never as markup', () => {
    const r = render({ store: storeWith([snapshot({ id: 'x', remoteName: '<img src=x onerror=alert(1)>' })]), boardMode: 'compact' });
    expect(r.html).not.toContain('<img');
    expect(r.rows[0]!.text).toContain('<img src=x onerror=alert(1)>');
  });
});

describe('filtering the board', () => {
  const store = () =>
    storeWith(
      [
        snapshot({ id: 'c1', remoteName: 'Studio B', remote: 'sip:b@studio-b.example' }),
        snapshot({ id: 'c2', remote: 'sip:ob-van@ob.example', rx: rxStats({ lossPct: 1.5 }) }),
        snapshot({ id: 'c3', remote: 'sip:news@newsroom.example', rx: rxStats({ concealedPct: 0.8 }) }),
        snapshot({ id: 'c4', remote: 'sip:sport@stadium.example' }),
        snapshot({ id: 'r1', state: 'ringing', remote: 'sip:studio-c@192.0.2.3' }),
        snapshot({ id: 'o1', state: 'offered', remote: 'sip:caller@198.51.100.3' }),
        snapshot({ id: 'f1', state: 'failed', remote: 'sip:far@203.0.113.7' }),
        snapshot({ id: 'x1', state: 'redialling', remote: 'sip:again@203.0.113.8' }),
        snapshot({ id: 'e1', state: 'ended', remote: 'sip:done@198.51.100.4' }),
      ],
      [
        { id: 'a1', kind: 'silence', linkId: 'c4', message: 'silent', raisedAt: '2024-05-01T10:00:00Z', acknowledged: true },
        { id: 'a2', kind: 'silence', linkId: 'c1', message: 'was silent', raisedAt: '2024-05-01T10:00:00Z', clearedAt: '2024-05-01T10:01:00Z', acknowledged: false },
      ],
    );

  it.each([
    { filter: { text: 'studio' }, ids: ['r1', 'c1'] },
    { filter: { text: 'STUDIO B' }, ids: ['c1'] },
    { filter: { text: 'f1' }, ids: ['f1'] },
    { filter: { text: '  ob-van ' }, ids: ['c2'] },
    { filter: { state: 'connected' as const }, ids: ['c3', 'c2', 'c4', 'c1'] },
    { filter: { state: 'ringing' as const }, ids: ['o1', 'r1'] },
    { filter: { state: 'failed' as const }, ids: ['f1', 'x1'] },
    { filter: { state: 'ended' as const }, ids: ['e1'] },
    { filter: { problemsOnly: true }, ids: ['f1', 'x1', 'c3', 'c2', 'c4'] },
    { filter: { problemsOnly: true, state: 'connected' as const, text: 'example' }, ids: ['c3', 'c2', 'c4'] },
  ])('shows only the links matching $filter', ({ filter, ids }) => {
    const r = render({ store: store(), boardMode: 'compact', linkFilter: filtered(filter) });
    expect(r.rows.map((x) => x.attrs['data-link-id'])).toEqual(ids);
    expect(r.text).toContain(`${ids.length} of 9 links`);
  });

  it('filters the full cards the same way', () => {
    const r = render({ store: store(), boardMode: 'cards', linkFilter: filtered({ state: 'failed' }) });
    expect(r.cards.map((c) => c.attrs['data-link-id']).sort()).toEqual(['f1', 'x1']);
  });

  it('says so when no link matches, and counts all links when nothing is filtered', () => {
    expect(render({ store: store(), linkFilter: filtered({ text: 'nowhere' }) }).text).toContain('No link matches the filter.');
    expect(render({ store: store() }).text).toContain('9 links');
  });

  it('passes typed text, the picked state, the problems box and the layout to the controller', () => {
    const r = render({ store: store() });
    const inputs = startTags(r.html, 'input');
    const search = inputs.find((i) => i.id === 'link-filter-text');
    const problems = inputs.find((i) => i.id === 'link-filter-problems');
    const radios = inputs.filter((i) => i.name === 'board-mode');
    const el = (attrs: Record<string, string> | undefined) => ({ attrs: attrs!, inner: '', text: '' });
    fire(r, el(search), 'input', { target: { value: 'ob' } });
    fire(r, { attrs: startTags(r.html, 'select')[0]!, inner: '', text: '' }, 'change', { target: { value: 'failed' } });
    fire(r, { attrs: startTags(r.html, 'select')[0]!, inner: '', text: '' }, 'change', { target: { value: 'bogus' } });
    fire(r, el(problems), 'change', { target: { checked: true } });
    fire(r, el(radios[1]), 'change');
    expect(r.calls).toEqual([
      { name: 'editLinkFilter', args: [{ text: 'ob' }] },
      { name: 'editLinkFilter', args: [{ state: 'failed' }] },
      { name: 'editLinkFilter', args: [{ problemsOnly: true }] },
      { name: 'setBoardMode', args: ['compact'] },
    ]);
    expect(radios.map((x) => [x!.value, 'checked' in x!])).toEqual([
      ['auto', true],
      ['compact', false],
      ['cards', false],
    ]);
  });

  it('shows no filter bar on an empty board', () => {
    expect(render({}).html).not.toContain('Filter links');
  });
});
