import { describe, expect, it } from 'vitest';
import type * as C from '../../server/api/contract/index.js';
import { emptyEntry, type PanelState } from '../../web/src/ui/panel-state.js';
import { phonebookView } from '../../web/src/ui/views/phonebook-view.js';
import { PROFILES, panelState, phonebookRow, recordingActions } from './panel-fixtures.js';
import { button, buttonTexts, elements, fire, renderTemplate, startTags, textOf } from './render-template.js';

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(phonebookView(panelState({ view: 'phonebook', profiles: PROFILES, ...over }), actions));
  return { ...r, text: textOf(r.html), calls };
}

/** The cells of each body row, as text. */
function rows(html: string): string[][] {
  const body = elements(html, 'tbody')[0]?.inner ?? '';
  return elements(body, 'tr').map((tr) => elements(tr.inner, 'td').map((td) => td.text));
}

const studioB = phonebookRow();
const studioC = phonebookRow({
  id: 'p2',
  name: 'Studio C',
  uri: 'sip:c@studio-c.example',
  profile: undefined,
  notes: undefined,
  reachability: { reachable: false, rttMs: null, status: null, checkedAt: '2024-05-01T10:00:00Z' },
  asr: { attempts: 0, answered: 0, asr: null },
});

describe('phonebook view', () => {
  it('says the phonebook is empty when it is', () => {
    expect(rows(render({}).html)).toEqual([['The phonebook is empty.']]);
  });

  it('lists each studio with reachability in words, URI, profile, answer ratio and notes', () => {
    expect(rows(render({ phonebook: [studioB, studioC], role: 'viewer' }).html)).toEqual([
      ['reachable, 12 ms', 'Studio B', 'sip:b@studio-b.example', 'opus-stereo-music', '3 / 4 (75 %)', 'Back-up line'],
      ['unreachable', 'Studio C', 'sip:c@studio-c.example', '—', '0 / 0', ''],
    ]);
  });

  it('gives an operator Edit and Delete per row and the new-entry form', () => {
    const { html, text } = render({ phonebook: [studioB] });
    expect(buttonTexts(html)).toEqual(['Messages', 'Edit', 'Delete', 'Save entry']);
    expect(button(html, 'Edit').attrs['aria-label']).toBe('Edit Studio B');
    expect(text).toContain('New entry');
  });

  it('gives a viewer neither row buttons nor the entry form', () => {
    const { html, text } = render({ phonebook: [studioB], role: 'viewer' });
    expect(buttonTexts(html)).toEqual([]);
    expect(text).not.toContain('New entry');
    expect(elements(html, 'form')).toEqual([]);
  });

  it('shows the entry being edited, with Cancel, and the service’s error under its field', () => {
    const { html, text } = render({
      phonebook: [studioB],
      entry: { ...emptyEntry(), id: 'p1', name: 'Studio B', uri: 'sip:b@studio-b.example', profile: 'opus-stereo-music', probe: false },
      entryErrors: { uri: 'uri: not a SIP URI' },
    });
    expect(elements(html, 'h3').map((h) => h.text)).toEqual(['Edit Studio B']);
    expect(buttonTexts(html)).toEqual(['Messages', 'Edit', 'Delete', 'Save entry', 'Cancel']);
    expect(text).toContain('uri: not a SIP URI');
    expect(startTags(html, 'input').find((i) => i.id === 'entry-uri')?.value).toBe('sip:b@studio-b.example');
    expect(startTags(html, 'input').find((i) => i.type === 'checkbox')?.checked).toBeUndefined();
  });

  const presences: [C.PeerPresence | undefined, string][] = [
    ['open', 'reachable, 12 ms · online'],
    ['busy', 'reachable, 12 ms · on air'],
    ['closed', 'reachable, 12 ms · offline'],
    ['unknown', 'reachable, 12 ms · presence unknown'],
    [undefined, 'reachable, 12 ms'],
  ];
  it.each(presences)('shows a watched presence of %s beside the reachability as %j', (presence, cell) => {
    const row = presence === undefined ? studioB : { ...studioB, presence };
    expect(rows(render({ phonebook: [row], role: 'viewer' }).html)[0]![0]).toBe(cell);
  });

  it('lets an operator tick Watch presence in the entry form', () => {
    const r = render({ entry: emptyEntry() });
    const box = startTags(r.html, 'input').filter((i) => i.type === 'checkbox')[1]!;
    fire(r, { attrs: box, inner: '', text: '' }, 'change', { target: { checked: true } });
    expect(r.calls).toEqual([{ name: 'editEntry', args: [{ watchPresence: true }] }]);
    expect(r.text).toContain("Watch the studio's presence");
  });

  it('shows an entry’s inbound credentials as its user name and a password field that never holds the stored password', () => {
    const r = render({ entry: { ...emptyEntry(), id: 'p1', name: 'Studio B', uri: 'sip:b@x', authUser: 'studiob', authHasPassword: true } });
    const inputs = startTags(r.html, 'input');
    expect(inputs.find((i) => i.id === 'entry-auth-user')?.value).toBe('studiob');
    const pw = inputs.find((i) => i.id === 'entry-auth-password')!;
    expect([pw.type, pw.value]).toEqual(['password', '']);
    expect(r.text).toContain("Caller's password (stored; type to replace it)");
    fire(r, { attrs: pw, inner: '', text: '' }, 'input', { target: { value: 'a-new-secret' } });
    expect(r.calls).toEqual([{ name: 'editEntry', args: [{ authPassword: 'a-new-secret' }] }]);
  });

  it('shows an entry’s second remote for dual-path streaming, hands edits to the controller, and the service’s error under its field', () => {
    const entry = { ...emptyEntry(), id: 'p1', name: 'Studio B', uri: 'sip:b@x', dupAddress: '203.0.113.10', dupRtpPort: '30002', dupRtcpPort: '' };
    const r = render({ entry, entryErrors: { 'duplicateRemote.rtpPort': 'duplicateRemote.rtpPort: Expected integer' } });
    const inputs = startTags(r.html, 'input');
    expect(['entry-dup-address', 'entry-dup-rtp', 'entry-dup-rtcp'].map((id) => inputs.find((i) => i.id === id)?.value)).toEqual(['203.0.113.10', '30002', '']);
    expect(r.text).toContain('Second path (dual-path streaming');
    expect(r.text).toContain('duplicateRemote.rtpPort: Expected integer');
    fire(r, { attrs: inputs.find((i) => i.id === 'entry-dup-address')!, inner: '', text: '' }, 'input', { target: { value: '203.0.113.11' } });
    fire(r, { attrs: inputs.find((i) => i.id === 'entry-dup-rtcp')!, inner: '', text: '' }, 'input', { target: { value: '30005' } });
    expect(r.calls).toEqual([
      { name: 'editEntry', args: [{ dupAddress: '203.0.113.11' }] },
      { name: 'editEntry', args: [{ dupRtcpPort: '30005' }] },
    ]);
  });

  it('disables Save entry while the save is in flight', () => {
    expect(button(render({ busy: new Set(['entry']), entry: emptyEntry() }).html, 'Save entry').attrs.disabled).toBeDefined();
  });

  it('hands edit, delete and save to the controller', () => {
    const r = render({ phonebook: [studioB] });
    fire(r, button(r.html, 'Edit'), 'click');
    fire(r, button(r.html, 'Delete'), 'click');
    fire(r, elements(r.html, 'form')[0]!, 'submit');
    expect(r.calls.map((c) => [c.name, (c.args[0] as { id?: string } | undefined)?.id])).toEqual([
      ['startEntry', 'p1'],
      ['deleteEntry', 'p1'],
      ['saveEntry', undefined],
    ]);
  });
});
