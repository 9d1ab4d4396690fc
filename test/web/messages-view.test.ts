import { describe, expect, it } from 'vitest';
import type { Message } from '../../web/src/model/api-types.js';
import { MessageBook, deliveryWord, threadKey } from '../../web/src/model/message-book.js';
import type { PanelState } from '../../web/src/ui/panel-state.js';
import { chatView, linkChat } from '../../web/src/ui/views/messages-view.js';
import { phonebookView } from '../../web/src/ui/views/phonebook-view.js';
import { panelState, phonebookRow, recordingActions } from './panel-fixtures.js';
import { button, buttonTexts, elements, fire, renderTemplate, startTags, textOf } from './render-template.js';

const msg = (over: Partial<Message>): Message => ({
  id: 'm1',
  at: '2026-12-07T08:00:05.000Z',
  direction: 'in',
  remote: 'sip:b@studio-b.example',
  text: 'hello',
  status: 'delivered',
  ...over,
});

function bookOf(...ms: Message[]): MessageBook {
  const b = new MessageBook();
  for (const m of ms) b.apply(m);
  return b;
}

const target = { to: 'p1', remote: 'sip:b@studio-b.example', title: 'Studio B' };

function render(over: Partial<PanelState>) {
  const { actions, calls } = recordingActions();
  const r = renderTemplate(chatView(panelState(over), actions, target));
  return { ...r, text: textOf(r.html), calls };
}

describe('the message book', () => {
  it('keeps one record per id, a status change replacing it in place', () => {
    const b = bookOf(msg({ id: 'a', direction: 'out', status: 'pending' }), msg({ id: 'b' }), msg({ id: 'a', direction: 'out', status: 'delivered' }));
    expect(b.thread(target.remote).map((m) => [m.id, m.status])).toEqual([
      ['a', 'delivered'],
      ['b', 'delivered'],
    ]);
  });

  it('puts both addresses of a peer in one thread, whatever the scheme, parameters or case', () => {
    const b = bookOf(msg({ id: 'a', remote: 'sip:B@studio-b.example;transport=tcp' }), msg({ id: 'b', remote: 'sips:b@studio-b.example' }), msg({ id: 'c', remote: 'sip:c@x' }));
    expect(b.thread('sip:b@studio-b.example').map((m) => m.id)).toEqual(['a', 'b']);
    expect(threadKey('<sip:b@studio-b.example>')).toBe(threadKey('SIPS:b@studio-b.example?subject=x'));
  });

  it('merges a newest-first list in time order without undoing what the live feed brought', () => {
    const b = bookOf(msg({ id: 'x', at: '2026-12-07T08:00:09.000Z', direction: 'out', status: 'failed', statusCode: 480 }));
    b.load([
      msg({ id: 'x', at: '2026-12-07T08:00:09.000Z', direction: 'out', status: 'pending' }),
      msg({ id: 'y', at: '2026-12-07T08:00:02.000Z' }),
    ]);
    expect(b.thread(target.remote).map((m) => [m.id, m.status])).toEqual([
      ['y', 'delivered'],
      ['x', 'failed'],
    ]);
  });

  it('keeps at most its bound, dropping the oldest', () => {
    const b = new MessageBook(2);
    for (const id of ['1', '2', '3']) b.apply(msg({ id }));
    expect(b.thread(target.remote).map((m) => m.id)).toEqual(['2', '3']);
  });

  it('counts messages that came in since the last one sent', () => {
    const b = bookOf(msg({ id: '1' }), msg({ id: '2', direction: 'out' }), msg({ id: '3' }), msg({ id: '4' }));
    expect(b.unanswered(target.remote)).toBe(2);
  });

  const words: [Partial<Message>, string][] = [
    [{ direction: 'in' }, 'received'],
    [{ direction: 'out', status: 'pending' }, 'sending…'],
    [{ direction: 'out', status: 'delivered', statusCode: 200 }, 'delivered'],
    [{ direction: 'out', status: 'failed', statusCode: 480, reason: 'Temporarily Unavailable' }, 'not delivered (480 Temporarily Unavailable)'],
    [{ direction: 'out', status: 'failed', reason: 'no route' }, 'not delivered (no route)'],
  ];
  it.each(words)('says %j as %s', (over, word) => {
    expect(deliveryWord(msg(over))).toBe(word);
  });
});

describe('the chat view', () => {
  it('shows the thread oldest first with direction, time and delivery status', () => {
    const { html } = render({
      messages: bookOf(msg({ id: '1', text: 'ready?' }), msg({ id: '2', at: '2026-12-07T08:00:07.000Z', direction: 'out', text: 'yes', status: 'failed', statusCode: 408, reason: 'Request Timeout' })),
    });
    const rows = elements(html, 'li').map((li) => li.text);
    expect(rows).toEqual(['← 08:00:05 · received ready?', '→ 08:00:07 · not delivered (408 Request Timeout) yes']);
  });

  it('says there are no messages yet when there are none', () => {
    expect(render({}).text).toContain('No messages with Studio B yet.');
  });

  it('binds caller-supplied text as text, never as markup', () => {
    const { html } = render({ messages: bookOf(msg({ text: '<img src=x onerror=alert(1)>' })) });
    expect(startTags(html, 'img')).toEqual([]);
    expect(textOf(html)).toContain('<img src=x onerror=alert(1)>');
  });

  it('lets an operator type and send to the entry, and disables Send while the draft is empty', () => {
    const empty = render({});
    expect(button(empty.html, 'Send').attrs.disabled).toBeDefined();
    const r = render({ chatDrafts: new Map([[threadKey(target.remote), 'on air in 10']]) });
    expect(button(r.html, 'Send').attrs.disabled).toBeUndefined();
    fire(r, { attrs: startTags(r.html, 'input')[0]!, inner: '', text: '' }, 'input', { target: { value: 'on air in 5' } });
    fire(r, elements(r.html, 'form')[0]!, 'submit');
    expect(r.calls.map((c) => [c.name, ...c.args])).toEqual([
      ['editMessage', target.remote, 'on air in 5'],
      ['sendMessage', 'p1', target.remote],
    ]);
  });

  it('gives a viewer the thread but no form', () => {
    const { html } = render({ role: 'viewer', messages: bookOf(msg({})) });
    expect(elements(html, 'form')).toEqual([]);
    expect(elements(html, 'li')).toHaveLength(1);
  });

  it('folds a link card chat under a summary counting messages and new ones', () => {
    const { actions } = recordingActions();
    const r = renderTemplate(linkChat(panelState({ messages: bookOf(msg({ id: '1', direction: 'out' }), msg({ id: '2' })) }), actions, target));
    expect(elements(r.html, 'summary')[0]!.text).toBe('Messages (2, 1 new)');
  });
});

describe('the phonebook chat', () => {
  it('opens the chat with an entry from its Messages button, and shows it under the table', () => {
    const { actions, calls } = recordingActions();
    const entry = phonebookRow();
    const closed = renderTemplate(phonebookView(panelState({ view: 'phonebook', phonebook: [entry] }), actions));
    fire(closed, button(closed.html, 'Messages'), 'click');
    expect(calls).toEqual([{ name: 'openEntryChat', args: [entry.id] }]);
    const open = renderTemplate(phonebookView(panelState({ view: 'phonebook', phonebook: [entry], chatEntryId: entry.id, messages: bookOf(msg({ remote: entry.uri, text: 'hi' })) }), actions));
    expect(textOf(open.html)).toContain(`Messages with ${entry.name}`);
    expect(buttonTexts(open.html)).toContain('Send');
    expect(elements(open.html, 'li').map((li) => li.text)).toEqual(['← 08:00:05 · received hi']);
  });
});
