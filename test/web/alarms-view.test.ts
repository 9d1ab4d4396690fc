import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../web/src/model/api-types.js';
import { PanelStore } from '../../web/src/model/panel-store.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { alarmsView } from '../../web/src/ui/views/alarms-view.js';
import { panelState, recordingActions } from './panel-fixtures.js';
import { button, buttonTexts, elements, fire, renderTemplate } from './render-template.js';

function render(alarms: Alarm[], over: Partial<PanelState> = {}) {
  const store = new PanelStore();
  store.alarms = alarms;
  const { actions, calls } = recordingActions();
  const r = renderTemplate(alarmsView(panelState({ view: 'alarms', store, ...over }), actions));
  return { ...r, calls };
}

/** State, kind and message of each row. */
function rows(html: string): string[][] {
  const body = elements(html, 'tbody')[0]?.inner ?? '';
  return elements(body, 'tr').map((tr) => elements(tr.inner, 'td').map((td) => td.text).slice(0, 3));
}

const loss: Alarm = { id: 'a1', kind: 'loss', linkId: 'l1', message: 'Studio B: 5 % loss', raisedAt: '2024-05-01T10:00:00Z', acknowledged: false };
const silence: Alarm = { id: 'a2', kind: 'silence', message: 'Studio C: silence', raisedAt: '2024-05-01T11:00:00Z', acknowledged: true };
const cleared: Alarm = { id: 'a3', kind: 'registration-lost', message: 'Registrar away', raisedAt: '2024-05-01T12:00:00Z', clearedAt: '2024-05-01T12:01:00Z', acknowledged: false };

describe('alarms view', () => {
  it('says there are no alarms when there are none', () => {
    expect(rows(render([]).html)).toEqual([['No alarms.']]);
  });

  it('lists active alarms before cleared ones, newest first, with state and kind in words', () => {
    expect(rows(render([loss, cleared, silence]).html)).toEqual([
      ['active, acknowledged', 'Silence', 'Studio C: silence'],
      ['active', 'Packet loss', 'Studio B: 5 % loss'],
      ['cleared', 'Registration lost', 'Registrar away'],
    ]);
  });

  it('lets an operator acknowledge each unacknowledged alarm, and hands the press to the controller', () => {
    const r = render([loss, silence, cleared]);
    expect(buttonTexts(r.html)).toEqual(['Acknowledge', 'Acknowledge']);
    fire(r, elements(r.html, 'button')[0]!, 'click');
    expect(r.calls).toEqual([{ name: 'ackAlarm', args: ['a1'] }]);
  });

  it('gives a viewer no Acknowledge button', () => {
    expect(buttonTexts(render([loss], { role: 'viewer' }).html)).toEqual([]);
  });

  it('disables Acknowledge while the acknowledgement is in flight', () => {
    expect(button(render([loss], { busy: new Set(['ack:a1']) }).html, 'Acknowledge').attrs.disabled).toBeDefined();
  });
});
