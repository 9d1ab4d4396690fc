/**
 * The phonebook form's second-remote fields: where the copy of a duplicated stream (RFC 7198) goes
 * when the studio's SDP does not name a second address (hardware codecs and static peers listening
 * on two addresses without a=group:DUP). The draft holds text as typed; the service validates and
 * answers a wrong value under its field (`duplicateRemote.address`, `duplicateRemote.rtpPort`...).
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { PhonebookEntry, PhonebookInput } from '../../model/api-types.js';
import { valueOf as value } from '../event-values.js';

/** The second remote as typed in the form ('' = none). */
export interface DuplicateRemoteDraft {
  dupAddress: string;
  dupRtpPort: string;
  dupRtcpPort: string;
}

export const emptyDuplicateRemote = (): DuplicateRemoteDraft => ({ dupAddress: '', dupRtpPort: '', dupRtcpPort: '' });

/** The draft of a stored entry (editing it). */
export function duplicateRemoteDraft(row: Pick<PhonebookEntry, 'duplicateRemote'>): DuplicateRemoteDraft {
  const r = row.duplicateRemote;
  return r ? { dupAddress: r.address, dupRtpPort: String(r.rtpPort), dupRtcpPort: r.rtcpPort !== undefined ? String(r.rtcpPort) : '' } : emptyDuplicateRemote();
}

function port(text: string): number {
  // Not a number: sent as is, so that the service refuses it under the field's name.
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

/**
 * The request body's `duplicateRemote`: undefined when the address and ports are left empty (a PUT
 * without it removes a stored one). A port typed without an address is still sent, for the
 * service to say what is missing.
 */
export function duplicateRemoteBody(d: Partial<DuplicateRemoteDraft>): PhonebookInput['duplicateRemote'] | undefined {
  const address = (d.dupAddress ?? '').trim();
  const rtp = (d.dupRtpPort ?? '').trim();
  const rtcp = (d.dupRtcpPort ?? '').trim();
  if (address === '' && rtp === '' && rtcp === '') return undefined;
  return { address, rtpPort: port(rtp), ...(rtcp !== '' ? { rtcpPort: port(rtcp) } : {}) };
}

/** The three fields, with the service's error under each. */
export function duplicateRemoteFields(
  d: Partial<DuplicateRemoteDraft>,
  err: (field: string) => TemplateResult | typeof nothing,
  edit: (patch: Partial<DuplicateRemoteDraft>) => void,
): TemplateResult {
  return html`<fieldset class="entry-dup">
    <legend>Second path (dual-path streaming, when the studio's SDP names none)</legend>
    <label for="entry-dup-address">Studio's second address</label>
    <input id="entry-dup-address" type="text" spellcheck="false" autocomplete="off" maxlength="45" placeholder="192.0.2.20" .value=${d.dupAddress ?? ''} @input=${(ev: Event) => edit({ dupAddress: value(ev) })} />
    ${err('duplicateRemote.address')}${err('duplicateRemote')}
    <label for="entry-dup-rtp">Its RTP port</label>
    <input id="entry-dup-rtp" type="number" inputmode="numeric" min="1" max="65535" .value=${d.dupRtpPort ?? ''} @input=${(ev: Event) => edit({ dupRtpPort: value(ev) })} />
    ${err('duplicateRemote.rtpPort')}
    <label for="entry-dup-rtcp">Its RTCP port (empty: RTP port + 1)</label>
    <input id="entry-dup-rtcp" type="number" inputmode="numeric" min="1" max="65535" .value=${d.dupRtcpPort ?? ''} @input=${(ev: Event) => edit({ dupRtcpPort: value(ev) })} />
    ${err('duplicateRemote.rtcpPort')}
  </fieldset>`;
}
