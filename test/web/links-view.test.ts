import { describe, expect, it } from 'vitest';
import type { Alarm, LinkSnapshot } from '../../web/src/model/api-types.js';
import { PanelStore } from '../../web/src/model/panel-store.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { linksView } from '../../web/src/ui/views/links-view.js';
import { PROFILES, panelState, recordingActions } from './panel-fixtures.js';
import { button, buttonTexts, definitions, elements, fire, renderTemplate, textOf } from './render-template.js';
import { rxStats, snapshot } from './snapshots.js';

/** A store holding these links, each received at monotonic time 0. */
function storeWith(...links: LinkSnapshot[]): PanelStore {
  const store = new PanelStore();
  for (const link of links) store.apply({ type: 'link', link }, 0);
  return store;
}

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(linksView(panelState({ profiles: PROFILES, ...over }), actions));
  return { ...r, text: textOf(r.html), calls };
}

/** The card of one link, by its data-link-id. */
function card(html: string, id: string) {
  const found = elements(html, 'article').find((a) => a.attrs['data-link-id'] === id);
  if (!found) throw new Error(`no card for ${id}`);
  return found;
}

const connected = snapshot({
  id: 'c1',
  remoteName: 'Studio B',
  remote: 'sip:b@studio-b.example',
  durationS: 65,
  codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { maxaveragebitrate: 128000 } },
  rx: rxStats({ bufferMs: 60, jitterMs: 3.25, lossPct: 0.5, concealedPct: 0.25, driftPpm: 1.5 }),
  rttMs: 18.4,
});

const failed = snapshot({
  id: 'f1',
  state: 'failed',
  remote: 'sip:nobody@studio-c.example',
  codec: null,
  rx: null,
  rttMs: null,
  endReason: { by: 'remote', sipStatus: 486, reason: 'Busy Here' },
});

describe('links board view', () => {
  it('says there are no links, and how to start one, on an empty board', () => {
    expect(render({}).text).toContain('No links. Dial a studio to start one.');
  });

  it('shows a connected link with its state word, remote name and URI, codec and live figures', () => {
    const { html } = render({ store: storeWith(connected), nowMs: 2500 });
    const c = card(html, 'c1');
    expect(c.attrs['data-state']).toBe('connected');
    expect(c.attrs['aria-label']).toBe('Link Studio B');
    expect(c.text).toContain('Connected');
    expect(c.text).toContain('Studio B');
    expect(c.text).toContain('sip:b@studio-b.example');
    expect(definitions(c.inner)).toEqual({
      Direction: '→ outbound',
      Profile: 'opus-stereo-music',
      Codec: 'opus · 48 kHz · 2 ch · 20 ms · 128 kbit/s',
      'Jitter buffer': '—',
      Buffer: '60 ms',
      Jitter: '3.3 ms',
      Loss: '0.50 %',
      Concealed: '0.25 %',
      RTT: '18.4 ms',
      Drift: '+1.5 ppm',
    });
    // 65 s from the service plus 2.5 s since the snapshot arrived.
    expect(elements(c.inner, 'span').find((s) => s.attrs.class === 'duration')?.text).toBe('1:07');
  });

  it('shows a failed link with the word Failed and the far end’s reason, and dashes for missing figures', () => {
    const { html } = render({ store: storeWith(failed) });
    const c = card(html, 'f1');
    expect(c.text).toContain('Failed');
    expect(c.text).toContain('Failed: 486 Busy Here — hung up by far end');
    expect(definitions(c.inner)).toMatchObject({ Codec: '—', Buffer: '—', RTT: '—' });
  });

  it('gives an operator hang-up and profile change on a connected card, and no hang-up on a failed one', () => {
    const { html } = render({ store: storeWith(connected, failed) });
    expect(buttonTexts(card(html, 'c1').inner)).toEqual(['Send', 'Apply', 'Hang up']);
    expect(buttonTexts(card(html, 'f1').inner)).toEqual([]);
    expect(elements(card(html, 'c1').inner, 'option').map((o) => o.text)).toEqual(['opus-stereo-music (current)', 'l24-studio']);
    expect(button(html, 'Apply').attrs.disabled).toBeDefined();
  });

  it('gives a viewer no buttons on the cards, no dial form, and says why', () => {
    const { html, text } = render({ store: storeWith(connected), role: 'viewer' });
    expect(buttonTexts(html)).toEqual([]);
    expect(text).not.toContain('Dial');
    expect(text).toContain('Signed in as a viewer: you can watch links but not dial, answer or hang up.');
  });

  it('offers the dial form to an operator beside the board', () => {
    const { html } = render({});
    expect(elements(html, 'h2').map((h) => h.text)).toEqual(['Links', 'Dial']);
  });

  it('turns Hang up into Confirm hang up after one press, with the hint, and passes presses to the controller', () => {
    const state = panelState({ store: storeWith(connected), nowMs: 1000 });
    state.hangupConfirm.press('c1', 0);
    const { actions, calls } = recordingActions();
    const r = renderTemplate(linksView(state, actions));
    const b = button(r.html, 'Confirm hang up');
    expect(b.attrs['aria-disabled']).toBe('false');
    expect(textOf(r.html)).toContain('Press again to hang up · Esc cancels');
    fire(r, b, 'click');
    fire(r, b, 'keydown', { key: 'Escape' });
    expect(calls).toEqual([
      { name: 'pressHangup', args: ['c1'] },
      { name: 'cancelHangup', args: ['c1'] },
    ]);
  });

  it('disables the hang-up button while the hang-up request is in flight', () => {
    const { html } = render({ store: storeWith(connected), busy: new Set(['hangup:c1']) });
    expect(button(html, 'Hang up').attrs.disabled).toBeDefined();
  });

  it('lists active, unacknowledged alarms beside the board', () => {
    const alarms: Alarm[] = [
      { id: 'a1', kind: 'loss', message: 'Studio B: 5 % loss', raisedAt: '2024-05-01T10:00:00Z', acknowledged: false },
      { id: 'a2', kind: 'silence', message: 'Old silence', raisedAt: '2024-05-01T09:00:00Z', acknowledged: true },
    ];
    const store = storeWith();
    store.alarms = alarms;
    const { html } = render({ store });
    expect(elements(html, 'li').map((l) => l.text)).toEqual(['Studio B: 5 % loss']);
  });

  it('renders a caller-supplied display name as text, never as markup', () => {
    const { html } = render({ store: storeWith(snapshot({ id: 'x', remoteName: '<img src=x onerror=alert(1)>' })) });
    expect(html).not.toContain('<img');
    expect(textOf(card(html, 'x').inner)).toContain('<img src=x onerror=alert(1)>');
  });
});
