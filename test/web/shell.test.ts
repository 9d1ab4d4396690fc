import { describe, expect, it } from 'vitest';
import { PanelStore } from '../../web/src/model/panel-store.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { panelTemplate } from '../../web/src/ui/shell.js';
import { panelState, recordingActions } from './panel-fixtures.js';
import { button, buttonTexts, elements, fire, renderTemplate, textOf } from './render-template.js';
import { snapshot } from './snapshots.js';

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(panelTemplate(panelState(over), actions));
  return { ...r, text: textOf(r.html), calls };
}

/** The status bar item with this accessible name, as text. */
function stat(html: string, label: string): string | undefined {
  return elements(html, 'span').find((s) => s.attrs['aria-label'] === label)?.text;
}

function storeWith(...links: ReturnType<typeof snapshot>[]): PanelStore {
  const store = new PanelStore();
  for (const link of links) store.apply({ type: 'link', link }, 0);
  return store;
}

const listening = { sip: ['udp:0.0.0.0:5060'], http: '127.0.0.1:8080' };

describe('panel shell', () => {
  it('shows the login form alone, with the error of the last attempt, while a password is needed', () => {
    const { html, text } = render({ needLogin: true, role: null, loginError: 'Wrong password.' });
    expect(text).toContain('Log in to acip');
    expect(elements(html, 'p').find((p) => p.attrs.role === 'alert')?.text).toBe('Wrong password.');
    expect(elements(html, 'nav')).toEqual([]);
    expect(buttonTexts(html)).toEqual(['Log in']);
  });

  it('passes the typed password to the controller and clears the form once logged in', async () => {
    const r = render({ needLogin: true, role: null });
    let reset = false;
    const form = { elements: { namedItem: (n: string) => (n === 'password' ? { value: 's3cret' } : null) }, reset: () => (reset = true) };
    await fire(r, elements(r.html, 'form')[0]!, 'submit', { target: form });
    expect(r.calls).toEqual([{ name: 'login', args: ['s3cret'] }]);
    expect(reset).toBe(true);
  });

  it('says the feed is live, the registration state, the link count, the addresses and the version', () => {
    const { html } = render({
      store: storeWith(snapshot({ id: 'a' }), snapshot({ id: 'b', state: 'ringing' })),
      status: { version: '1.2.3', listening, registration: { state: 'registered', aor: 'sip:acip@example.net', registrar: 'sip:example.net' }, links: { total: 2, byState: {} }, role: 'admin' },
    });
    expect(stat(html, 'Connection to the service')).toBe('Live');
    expect(stat(html, 'SIP registration')).toBe('Registration: registered sip:acip@example.net');
    expect(stat(html, 'Links')).toBe('Links: 2 (1 connected)');
    expect(stat(html, 'Listening addresses')).toBe('SIP udp:0.0.0.0:5060 · HTTP 127.0.0.1:8080');
    expect(stat(html, 'Version')).toBe('acip 1.2.3');
  });

  it('counts down to the next reconnect while the service is away', () => {
    const { html } = render({ liveState: 'reconnecting', retryAtMs: 12_400, nowMs: 10_000 });
    expect(stat(html, 'Connection to the service')).toBe('Service unreachable — reconnecting in 3 s');
  });

  it('names the role and offers Log out, except on a service without login', () => {
    expect(render({ role: 'viewer' }).text).toContain('Viewer (watch only)');
    expect(render({ role: 'admin' }).html).toContain('Log out');
    expect(render({ role: 'open' }).html).not.toContain('Log out');
  });

  it('marks the current section and counts unacknowledged alarms on the Alarms tab', () => {
    const store = new PanelStore();
    store.alarms = [{ id: 'a1', kind: 'loss', message: 'loss', raisedAt: '2024-05-01T10:00:00Z', acknowledged: false }];
    const r = render({ view: 'history', store });
    const tabs = elements(elements(r.html, 'nav')[0]!.inner, 'a');
    expect(tabs.map((t) => t.text)).toEqual(['Links', 'Phonebook', 'History', 'Profiles', 'Alarms 1']);
    expect(tabs.find((t) => t.attrs['aria-current'] === 'page')?.text).toBe('History');
    fire(r, tabs[4]!, 'click');
    expect(r.calls).toEqual([{ name: 'go', args: ['alarms'] }]);
  });

  it('prompts an operator to answer or reject an incoming call, naming the caller', () => {
    const offered = snapshot({ id: 'in1', state: 'offered', direction: 'inbound', remoteName: 'Studio B', remote: 'sip:b@studio-b.example' });
    const r = render({ store: storeWith(offered) });
    expect(r.text).toContain('Incoming call from Studio B <sip:b@studio-b.example> · profile opus-stereo-music');
    fire(r, button(r.html, 'Answer'), 'click');
    fire(r, button(r.html, 'Reject'), 'click');
    expect(r.calls).toEqual([
      { name: 'answer', args: ['in1', true] },
      { name: 'answer', args: ['in1', false] },
    ]);
  });

  it('tells a viewer an incoming call waits for an operator, with no Answer button', () => {
    const offered = snapshot({ id: 'in1', state: 'offered', direction: 'inbound' });
    const { html, text } = render({ store: storeWith(offered), role: 'viewer' });
    expect(text).toContain('Waiting for an operator to answer.');
    expect(buttonTexts(html)).not.toContain('Answer');
  });

  it('shows an error notice as an alert that stays until dismissed', () => {
    const r = render({ notice: { text: 'Dial failed: busy', kind: 'error' } });
    const notice = elements(r.html, 'p').find((p) => p.attrs.class === 'notice error');
    expect(notice?.attrs.role).toBe('alert');
    expect(notice?.text).toBe('Dial failed: busy ×');
    fire(r, button(r.html, '×'), 'click');
    expect(r.calls).toEqual([{ name: 'dismissNotice', args: [] }]);
  });

  it.each([
    ['links', 'Links'],
    ['phonebook', 'Phonebook'],
    ['history', 'Call history'],
    ['profiles', 'Profiles'],
    ['alarms', 'Alarms'],
  ] as const)('renders the %s view under its heading "%s"', (view, heading) => {
    const { html } = render({ view });
    expect(elements(html, 'h2').find((h) => h.attrs.id === 'view-heading')?.text).toBe(heading);
  });
});
