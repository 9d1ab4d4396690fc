/**
 * A chat with one remote studio (SIP MESSAGE): the thread oldest first, each message with its
 * direction, time and delivery status, and for operators a one-line form to send. Used in a link's
 * card (the peer of the link) and under the phonebook (the entry whose Messages button is open).
 * Message text is caller-supplied: it is bound as text only.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Message } from '../../model/api-types.js';
import { deliveryWord, threadKey } from '../../model/message-book.js';
import { valueOf as value } from '../event-values.js';
import { canControl, type PanelActions, type PanelState } from '../panel-state.js';

/** Longest text the service takes in one message. */
const TEXT_MAX = 1000;

export interface ChatTarget {
  /** What POST /api/messages gets as `to`: a phonebook entry id or the peer's URI. */
  to: string;
  /** The peer's URI: the thread is every message with it. */
  remote: string;
  /** Who the chat is with, for headings and labels. */
  title: string;
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

function messageRow(m: Message): TemplateResult {
  const failed = m.direction === 'out' && m.status === 'failed';
  return html`<li class="chat-msg ${m.direction}${failed ? ' failed' : ''}" data-message-id=${m.id}>
    <span class="chat-meta"><span class="chat-dir">${m.direction === 'in' ? '←' : '→'}</span> <time datetime=${m.at}>${timeOf(m.at)}</time> · <span class="chat-status">${deliveryWord(m)}</span></span>
    <span class="chat-text">${m.text}</span>
  </li>`;
}

/** The chat with one peer. */
export function chatView(s: PanelState, a: PanelActions, t: ChatTarget): TemplateResult {
  const thread = s.messages.thread(t.remote);
  const key = threadKey(t.remote);
  const draft = s.chatDrafts.get(key) ?? '';
  const busy = s.busy.has(`message:${key}`);
  const id = `chat-${key.replace(/[^a-z0-9]/g, '-')}`;
  return html`<section class="chat" aria-label="Messages with ${t.title}">
    ${thread.length === 0
      ? html`<p class="empty">No messages with ${t.title} yet.</p>`
      : html`<ol class="chat-thread" aria-live="polite">${thread.map(messageRow)}</ol>`}
    ${canControl(s)
      ? html`<form class="chat-form" @submit=${(ev: Event) => (ev.preventDefault(), a.sendMessage(t.to, t.remote))}>
          <label for=${id} class="sr-only">Message to ${t.title}</label>
          <input id=${id} type="text" maxlength=${TEXT_MAX} autocomplete="off" placeholder="Message to ${t.title}" .value=${draft} @input=${(ev: Event) => a.editMessage(t.remote, value(ev))} />
          <button type="submit" class="small" ?disabled=${busy || draft.trim() === ''}>Send</button>
        </form>`
      : nothing}
  </section>`;
}

/** A link card's chat, folded: the summary says how many messages there are. */
export function linkChat(s: PanelState, a: PanelActions, t: ChatTarget): TemplateResult {
  const n = s.messages.thread(t.remote).length;
  const unanswered = s.messages.unanswered(t.remote);
  return html`<details class="chat-fold">
    <summary>Messages${n ? ` (${n}${unanswered ? `, ${unanswered} new` : ''})` : ''}</summary>
    ${chatView(s, a, t)}
  </details>`;
}
