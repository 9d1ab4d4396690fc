import { describe, expect, it } from 'vitest';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { dialView } from '../../web/src/ui/views/dial-view.js';
import { PROFILES, panelState, phonebookRow, recordingActions } from './panel-fixtures.js';
import { button, elements, fire, renderTemplate, startTags, textOf } from './render-template.js';

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(dialView(panelState({ profiles: PROFILES, ...over }), actions));
  return { ...r, text: textOf(r.html), calls };
}

const reachable = phonebookRow();
const unreachable = phonebookRow({
  id: 'p2',
  name: 'Studio C',
  uri: 'sip:c@studio-c.example',
  reachability: { reachable: false, rttMs: null, status: 503, checkedAt: '2024-05-01T10:00:00Z' },
});
const unprobed = phonebookRow({ id: 'p3', name: 'Van', uri: 'sip:van@ob.example', reachability: { reachable: null, rttMs: null, status: null, checkedAt: null } });

describe('dial form view', () => {
  it('offers every phonebook entry with its reachability in words, and every profile', () => {
    const { html } = render({ phonebook: [reachable, unreachable, unprobed] });
    const options = elements(html, 'option').map((o) => o.text);
    expect(options).toEqual([
      '— none: type a SIP URI —',
      '● Studio B — reachable, 12 ms',
      '○ Studio C — unreachable (503)',
      '○ Van — not probed',
      'Service default',
      'Opus stereo music (opus-stereo-music)',
      'Linear 24-bit studio (l24-studio)',
    ]);
  });

  it('shows the picked entry’s reachability under the picker and its URI and profile in the form', () => {
    const { html, text } = render({
      phonebook: [reachable, unreachable],
      dial: { phonebookId: 'p2', to: 'sip:c@studio-c.example', profile: 'l24-studio', input: '', output: '', permanent: true },
    });
    expect(text).toContain('Studio C: unreachable (503)');
    expect(startTags(html, 'input').find((i) => i.id === 'dial-to')?.value).toBe('sip:c@studio-c.example');
    expect(startTags(html, 'input').find((i) => i.type === 'checkbox')?.checked).toBeDefined();
    expect(elements(html, 'option').find((o) => o.attrs.selected !== undefined && o.attrs.value === 'l24-studio')).toBeDefined();
  });

  it('names the service’s error beside the field it is about', () => {
    const { html } = render({ dialErrors: { to: 'to: not a SIP URI' } });
    const error = elements(html, 'p').find((p) => p.attrs.id === 'dial-to-error');
    expect(error?.text).toBe('to: not a SIP URI');
    expect(error?.attrs.role).toBe('alert');
    expect(startTags(html, 'input').find((i) => i.id === 'dial-to')).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'dial-to-error' });
  });

  it('disables Dial while a dial is in flight', () => {
    expect(button(render({}).html, 'Dial').attrs.disabled).toBeUndefined();
    expect(button(render({ busy: new Set(['dial']) }).html, 'Dial').attrs.disabled).toBeDefined();
  });

  it('hands picks, typing and the submission to the controller', () => {
    const r = render({ phonebook: [reachable] });
    const form = elements(r.html, 'form')[0]!;
    let prevented = false;
    fire(r, form, 'submit', { preventDefault: () => (prevented = true) });
    const select = elements(r.html, 'select').find((s) => s.attrs.id === 'dial-phonebook')!;
    fire(r, select, 'change', { target: { value: 'p1' } });
    expect(prevented).toBe(true);
    expect(r.calls).toEqual([
      { name: 'submitDial', args: [] },
      { name: 'pickDialEntry', args: ['p1'] },
    ]);
  });
});
