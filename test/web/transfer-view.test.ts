import { describe, expect, it } from 'vitest';
import { PanelStore } from '../../web/src/model/panel-store.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { linksView } from '../../web/src/ui/views/links-view.js';
import { PROFILES, panelState, phonebookRow, recordingActions } from './panel-fixtures.js';
import { button, elements, fire, renderTemplate } from './render-template.js';
import { snapshot } from './snapshots.js';

const connected = snapshot({ id: 'c1', remoteName: 'Studio B', remote: 'sip:b@studio-b.example' });

function render(over: Partial<PanelState>) {
  const store = new PanelStore();
  store.apply({ type: 'link', link: connected }, 0);
  const { actions, calls } = recordingActions();
  const r = renderTemplate(linksView(panelState({ profiles: PROFILES, store, phonebook: [phonebookRow({ id: 'p3', name: 'Studio C' })], ...over }), actions));
  return { ...r, calls };
}

describe('handing a link over from its card (REFER)', () => {
  it('offers the phonebook studios and keeps Transfer disabled until one is picked', () => {
    const r = render({});
    const form = elements(r.html, 'form').find((f) => f.attrs.class === 'transfer')!;
    expect(elements(form.inner, 'option').map((o) => o.text)).toEqual(['Pick a studio', 'Studio C']);
    expect(button(r.html, 'Transfer').attrs.disabled).toBeDefined();
  });

  it('asks to transfer to the studio picked', () => {
    const r = render({ transferPick: new Map([['c1', 'p3']]) });
    expect(button(r.html, 'Transfer').attrs.disabled).toBeUndefined();
    const form = elements(r.html, 'form').find((f) => f.attrs.class === 'transfer')!;
    fire(r, form, 'submit');
    fire(r, elements(form.inner, 'select')[0]!, 'change', { target: { value: 'p3' } });
    expect(r.calls.map((c) => [c.name, ...c.args])).toEqual([
      ['transferLink', 'c1'],
      ['pickTransfer', 'c1', 'p3'],
    ]);
  });

  it('gives a viewer no transfer control', () => {
    expect(elements(render({ role: 'viewer' }).html, 'form').filter((f) => f.attrs.class === 'transfer')).toEqual([]);
  });
});
