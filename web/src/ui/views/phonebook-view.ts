/**
 * The phonebook: every remote studio with its reachability (OPTIONS probe), profile, answer ratio and
 * notes; operators also get Messages/Edit/Delete per row, the chat with the entry they opened, and the
 * entry form (its second-remote fields in phonebook-form.ts).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { reachabilityView, type PeerPresence, type PhonebookEntry } from '../../model/api-types.js';
import { DASH } from '../../model/format.js';
import { checkedOf, valueOf as value } from '../event-values.js';
import { canControl, type EntryForm, type PanelActions, type PanelState } from '../panel-state.js';
import { chatView } from './messages-view.js';
import { duplicateRemoteFields, type DuplicateRemoteDraft } from './phonebook-form.js';

export function phonebookView(s: PanelState, a: PanelActions): TemplateResult {
  const control = canControl(s);
  return html`
    <section aria-labelledby="view-heading">
      <h2 id="view-heading" tabindex="-1">Phonebook</h2>
      <div class="table-wrap">
        <table class="phonebook">
          <caption class="sr-only">Remote studios</caption>
          <thead><tr><th scope="col">Reachability</th><th scope="col">Name</th><th scope="col">SIP URI</th><th scope="col">Profile</th><th scope="col">Answered / attempts</th><th scope="col">Notes</th>${control ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : nothing}</tr></thead>
          <tbody>
            ${s.phonebook.length === 0 ? html`<tr><td colspan="7" class="empty">The phonebook is empty.</td></tr>` : nothing}
            ${s.phonebook.map((p) => phonebookRow(s, p, control, a))}
          </tbody>
        </table>
      </div>
      ${entryChat(s, a)}
      ${control ? entryForm(s, a) : nothing}
    </section>
  `;
}

function phonebookRow(s: PanelState, p: PhonebookEntry, control: boolean, a: PanelActions): TemplateResult {
  const r = reachabilityView(p.reachability);
  const open = s.chatEntryId === p.id;
  const unanswered = s.messages.unanswered(p.uri);
  return html`<tr>
    <td><span class="dot tone-${r.tone}" aria-hidden="true"></span>${r.word}${presenceBadge(p)}</td>
    <td>${p.name}</td>
    <td class="mono uri-cell">${p.uri}</td>
    <td>${p.profile ?? DASH}</td>
    <td>${p.asr ? `${p.asr.answered} / ${p.asr.attempts}${p.asr.asr !== null ? ` (${Math.round(p.asr.asr * 100)} %)` : ''}` : DASH}</td>
    <td>${p.notes ?? ''}</td>
    ${control
      ? html`<td class="actions">
          <button type="button" class="small" aria-label="Messages with ${p.name}" aria-pressed=${open ? 'true' : 'false'} @click=${() => a.openEntryChat(open ? null : p.id)}>Messages${unanswered ? ` (${unanswered})` : ''}</button>
          <button type="button" class="small" aria-label="Edit ${p.name}" @click=${() => a.startEntry(p)}>Edit</button>
          <button type="button" class="small danger" aria-label="Delete ${p.name}" @click=${() => a.deleteEntry(p)}>Delete</button>
        </td>`
      : nothing}
  </tr>`;
}

/** A watched entry's presence in words, with its tone; nothing for an entry that is not watched. */
const PRESENCE_VIEW: Record<PeerPresence, { word: string; tone: string }> = {
  open: { word: 'online', tone: 'ok' },
  busy: { word: 'on air', tone: 'warn' },
  closed: { word: 'offline', tone: 'off' },
  unknown: { word: 'presence unknown', tone: 'off' },
};

function presenceBadge(p: PhonebookEntry): TemplateResult | typeof nothing {
  if (p.presence === undefined) return nothing;
  const v = PRESENCE_VIEW[p.presence];
  return html`<span class="presence tone-${v.tone}"> · ${v.word}</span>`;
}

/** The chat with the entry whose Messages button is pressed (operators), under the table. */
function entryChat(s: PanelState, a: PanelActions): TemplateResult | typeof nothing {
  const e = s.chatEntryId === null ? undefined : s.phonebook.find((p) => p.id === s.chatEntryId);
  if (!e || !canControl(s)) return nothing;
  return html`<div class="entry-chat">
    <h3>Messages with ${e.name}</h3>
    ${chatView(s, a, { to: e.id, remote: e.uri, title: e.name })}
    <button type="button" class="small" @click=${() => a.openEntryChat(null)}>Close</button>
  </div>`;
}

function entryForm(s: PanelState, a: PanelActions): TemplateResult {
  const e = s.entry;
  const err = (f: string) => (s.entryErrors[f] ? html`<p class="field-error" role="alert">${s.entryErrors[f]}</p>` : nothing);
  return html`<form class="entry" aria-labelledby="entry-heading" @submit=${(ev: Event) => (ev.preventDefault(), a.saveEntry())}>
    <h3 id="entry-heading">${e.id ? `Edit ${e.name}` : 'New entry'}</h3>
    <label for="entry-name">Name</label>
    <input id="entry-name" type="text" required maxlength="100" .value=${e.name} @input=${(ev: Event) => a.editEntry({ name: value(ev) })} />
    ${err('name')}
    <label for="entry-uri">Studio SIP URI</label>
    <input id="entry-uri" type="text" required spellcheck="false" autocomplete="off" placeholder="sip:studio@host" .value=${e.uri} @input=${(ev: Event) => a.editEntry({ uri: value(ev) })} />
    ${err('uri')}
    <label for="entry-profile">Entry profile</label>
    <select id="entry-profile" .value=${e.profile} @change=${(ev: Event) => a.editEntry({ profile: value(ev) })}>
      <option value="" ?selected=${e.profile === ''}>Service default</option>
      ${s.profiles.map((p) => html`<option value=${p.name} ?selected=${e.profile === p.name}>${p.title} (${p.name})</option>`)}
    </select>
    ${err('profile')}
    <label for="entry-notes">Notes</label>
    <textarea id="entry-notes" rows="2" maxlength="2000" .value=${e.notes} @input=${(ev: Event) => a.editEntry({ notes: value(ev) })}></textarea>
    <label class="check"><input type="checkbox" .checked=${e.probe} @change=${(ev: Event) => a.editEntry({ probe: checkedOf(ev) })} /> Probe reachability (OPTIONS)</label>
    <label class="check"><input type="checkbox" .checked=${e.watchPresence} @change=${(ev: Event) => a.editEntry({ watchPresence: checkedOf(ev) })} /> Watch the studio's presence (on air, online, offline)</label>
    <label class="check"><input type="checkbox" .checked=${e.tlsVerify} @change=${(ev: Event) => a.editEntry({ tlsVerify: checkedOf(ev) })} /> Verify the studio's TLS certificate (untick only for a self-signed one)</label>
    ${duplicateRemoteFields(e as EntryForm & Partial<DuplicateRemoteDraft>, err, (patch) => a.editEntry(patch as Partial<EntryForm>))}
    <label for="entry-auth-user">Caller's user name (digest, when the studio calls us)</label>
    <input id="entry-auth-user" type="text" spellcheck="false" autocomplete="off" maxlength="128" .value=${e.authUser} @input=${(ev: Event) => a.editEntry({ authUser: value(ev) })} />
    ${err('inboundAuth.user')}
    <label for="entry-auth-password">Caller's password${e.authHasPassword ? ' (stored; type to replace it)' : ''}</label>
    <input id="entry-auth-password" type="password" autocomplete="new-password" minlength="8" maxlength="256" .value=${e.authPassword} @input=${(ev: Event) => a.editEntry({ authPassword: value(ev) })} />
    ${err('inboundAuth.password')}
    <div class="buttons">
      <button type="submit" class="primary" ?disabled=${s.busy.has('entry')}>Save entry</button>
      ${e.id ? html`<button type="button" @click=${() => a.startEntry(null)}>Cancel</button>` : nothing}
    </div>
  </form>`;
}
