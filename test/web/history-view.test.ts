import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../web/src/model/api-types.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { historyView } from '../../web/src/ui/views/history-view.js';
import { panelState, recordingActions } from './panel-fixtures.js';
import { elements, fire, renderTemplate, startTags } from './render-template.js';

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(historyView(panelState({ view: 'history', ...over }), actions));
  return { ...r, calls };
}

function rows(html: string): string[][] {
  const body = elements(html, 'tbody')[0]?.inner ?? '';
  return elements(body, 'tr').map((tr) => elements(tr.inner, 'td').map((td) => td.text));
}

const quality = { lossPct: 0.12, concealedPct: 0.05, maxJitterMs: 4.56, meanBufferMs: 61.2, maxBufferMs: 80, rttMs: 20.25, redials: 1 };

const answered: HistoryRecord = {
  id: 'h1',
  linkId: 'l1',
  direction: 'outbound',
  remote: 'sip:b@studio-b.example',
  remoteName: 'Studio B',
  startedAt: '2024-05-01T10:00:00Z',
  endedAt: '2024-05-01T10:12:34Z',
  answerDelayMs: 312,
  durationS: 754,
  answered: true,
  endReason: { by: 'local', reason: 'hung up' },
  codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 },
  quality,
};

const refused: HistoryRecord = {
  id: 'h2',
  linkId: 'l2',
  direction: 'inbound',
  remote: 'sip:c@studio-c.example',
  startedAt: '2024-05-01T11:00:00Z',
  endedAt: '2024-05-01T11:00:05Z',
  durationS: 0,
  answered: false,
  endReason: { by: 'remote', sipStatus: 486, reason: 'Busy Here' },
  quality: { lossPct: null, concealedPct: null, maxJitterMs: null, meanBufferMs: null, maxBufferMs: null, rttMs: null, redials: 0 },
};

describe('history view', () => {
  it('says there are no calls yet when the history is empty', () => {
    expect(rows(render({}).html)).toEqual([['No calls yet.']]);
  });

  it('shows each call’s remote, codec, duration, end reason and quality, and "not answered" for a refused one', () => {
    const [a, r] = rows(render({ history: [answered, refused] }).html);
    expect(a!.slice(1)).toEqual([
      'outbound',
      'Studio B sip:b@studio-b.example',
      'opus 48 kHz 2 ch',
      '12:34',
      '312 ms',
      'hung up — hung up here',
      '0.12 %',
      '0.05 %',
      '4.6 ms',
      '61 ms / 80 ms',
      '20.3 ms',
      '1',
    ]);
    expect(r!.slice(1)).toEqual(['inbound', 'sip:c@studio-c.example', '—', 'not answered', '—', '486 Busy Here — hung up by far end', '—', '—', '—', '— / —', '—', '0']);
  });

  it('exports the same filter as CSV', () => {
    const { html } = render({ historyFilter: { remote: 'studio b', direction: 'inbound' } });
    const link = elements(html, 'a').find((a) => a.text === 'Export CSV');
    expect(link?.attrs.href).toBe('/api/history.csv?remote=studio+b&direction=inbound');
    expect(startTags(html, 'input').find((i) => i.id === 'hist-remote')?.value).toBe('studio b');
  });

  it('reloads when the direction changes or the filter is submitted', () => {
    const r = render({});
    fire(r, elements(r.html, 'select')[0]!, 'change', { target: { value: 'outbound' } });
    fire(r, elements(r.html, 'form')[0]!, 'submit');
    expect(r.calls).toEqual([
      { name: 'editHistoryFilter', args: [{ direction: 'outbound' }] },
      { name: 'loadHistory', args: [] },
      { name: 'loadHistory', args: [] },
    ]);
  });
});
