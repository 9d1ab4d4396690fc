/**
 * Alarms, active ones first, newest first within each group: state (active, cleared, acknowledged)
 * as a word and a colour, kind, message, times; operators acknowledge active ones here.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Alarm } from '../../model/api-types.js';
import { formatTime } from '../../model/format.js';
import { canControl, type PanelActions, type PanelState } from '../panel-state.js';

const KIND_WORDS: Readonly<Record<string, string>> = {
  silence: 'Silence',
  loss: 'Packet loss',
  'link-down': 'Link down',
  'registration-lost': 'Registration lost',
};

export function alarmKindWord(kind: Alarm['kind']): string {
  return KIND_WORDS[kind] ?? kind;
}

export function alarmsView(s: PanelState, a: PanelActions): TemplateResult {
  const alarms = [...s.store.alarms].sort((x, y) => Number(!!x.clearedAt) - Number(!!y.clearedAt) || y.raisedAt.localeCompare(x.raisedAt));
  const control = canControl(s);
  return html`
    <section aria-labelledby="view-heading">
      <h2 id="view-heading" tabindex="-1">Alarms</h2>
      <table aria-label="Alarms list">
        <thead><tr><th scope="col">State</th><th scope="col">Kind</th><th scope="col">Message</th><th scope="col">Raised</th><th scope="col">Cleared</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${alarms.length === 0 ? html`<tr><td colspan="6" class="empty">No alarms.</td></tr>` : nothing}
          ${alarms.map(
            (al) => html`<tr class=${al.clearedAt ? 'cleared' : 'active'}>
              <td><span class="dot tone-${al.clearedAt ? 'off' : al.acknowledged ? 'warn' : 'bad'}" aria-hidden="true"></span>${al.clearedAt ? 'cleared' : 'active'}${al.acknowledged ? ', acknowledged' : ''}</td>
              <td>${alarmKindWord(al.kind)}</td>
              <td>${al.message}</td>
              <td>${formatTime(al.raisedAt)}</td>
              <td>${formatTime(al.clearedAt)}</td>
              <td>${!al.acknowledged && control
                ? html`<button type="button" class="small" ?disabled=${s.busy.has(`ack:${al.id}`)} @click=${() => a.ackAlarm(al.id)}>Acknowledge</button>`
                : nothing}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
  `;
}
