/**
 * The dial form beside the links board (operators only): a phonebook entry or a typed SIP URI, a
 * profile, input and output, permanent (redial automatically). The service's validation errors are
 * shown under the field they name.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { reachabilityView } from '../../model/api-types.js';
import { checkedOf, valueOf as value } from '../event-values.js';
import type { PanelActions, PanelState } from '../panel-state.js';

export function dialView(s: PanelState, a: PanelActions): TemplateResult {
  const d = s.dial;
  const sel = s.phonebook.find((p) => p.id === d.phonebookId);
  const rv = sel ? reachabilityView(sel.reachability) : null;
  const err = (f: string) => (s.dialErrors[f] ? html`<p class="field-error" id="dial-${f}-error" role="alert">${s.dialErrors[f]}</p>` : nothing);
  return html`
    <form class="dial" aria-labelledby="dial-heading" @submit=${(ev: Event) => (ev.preventDefault(), a.submitDial())}>
      <h2 id="dial-heading">Dial</h2>
      <div class="field">
        <label for="dial-phonebook">Phonebook entry</label>
        <select id="dial-phonebook" .value=${d.phonebookId} @change=${(ev: Event) => a.pickDialEntry(value(ev))}>
          <option value="" ?selected=${d.phonebookId === ''}>— none: type a SIP URI —</option>
          ${s.phonebook.map((p) => {
            const r = reachabilityView(p.reachability);
            return html`<option value=${p.id} ?selected=${d.phonebookId === p.id}>${p.reachability?.reachable ? '●' : '○'} ${p.name} — ${r.word}</option>`;
          })}
        </select>
        ${rv && sel ? html`<p class="reach"><span class="dot tone-${rv.tone}" aria-hidden="true"></span>${sel.name}: ${rv.word}</p>` : nothing}
      </div>
      <div class="field">
        <label for="dial-to">SIP URI</label>
        <input
          id="dial-to"
          type="text"
          inputmode="url"
          autocomplete="off"
          spellcheck="false"
          placeholder="sip:studio@host"
          aria-invalid=${s.dialErrors.to ? 'true' : 'false'}
          aria-describedby=${s.dialErrors.to ? 'dial-to-error' : ''}
          .value=${d.to}
          @input=${(ev: Event) => a.typeDialUri(value(ev))}
        />
        ${err('to')}
      </div>
      <div class="field">
        <label for="dial-profile">Profile</label>
        <select id="dial-profile" .value=${d.profile} @change=${(ev: Event) => a.editDial({ profile: value(ev) })}>
          <option value="" ?selected=${d.profile === ''}>Service default</option>
          ${s.profiles.map((p) => html`<option value=${p.name} ?selected=${d.profile === p.name}>${p.title} (${p.name})</option>`)}
        </select>
        ${err('profile')}
      </div>
      <div class="field two">
        <div>
          <label for="dial-input">Input</label>
          <input id="dial-input" type="text" autocomplete="off" spellcheck="false" placeholder="default" .value=${d.input}
            @input=${(ev: Event) => a.editDial({ input: value(ev) })} />
          ${err('input')}
        </div>
        <div>
          <label for="dial-output">Output</label>
          <input id="dial-output" type="text" autocomplete="off" spellcheck="false" placeholder="default" .value=${d.output}
            @input=${(ev: Event) => a.editDial({ output: value(ev) })} />
          ${err('output')}
        </div>
      </div>
      <label class="check"><input type="checkbox" .checked=${d.permanent}
        @change=${(ev: Event) => a.editDial({ permanent: checkedOf(ev) })} /> Permanent (redial automatically)</label>
      <button type="submit" class="primary" ?disabled=${s.busy.has('dial')}>Dial</button>
    </form>
  `;
}
