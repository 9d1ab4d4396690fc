/**
 * Whether a link is encrypted, in words and a lock: closed when both the SIP signalling (TLS) and the
 * media (SRTP) are encrypted, open otherwise, with the service's reason. Never the icon alone.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { LinkSnapshot } from '../../model/api-types.js';

type Security = NonNullable<LinkSnapshot['security']>;

export interface SecurityView {
  encrypted: boolean;
  icon: string;
  /** Short words for a table row or a title. */
  word: string;
  /** The full sentence: what is encrypted, or why not. */
  detail: string;
}

export function securityView(sec: Security): SecurityView {
  if (sec.encrypted) {
    return { encrypted: true, icon: '🔒', word: 'encrypted', detail: `TLS + SRTP${sec.suite ? ` (${sec.suite})` : ''}` };
  }
  const parts = `${sec.signalling === 'tls' ? 'TLS' : 'clear SIP'} + ${sec.media === 'srtp' ? 'SRTP' : 'clear RTP'}`;
  return { encrypted: false, icon: '🔓', word: 'not encrypted', detail: sec.reason ? `${parts}: ${sec.reason}` : parts };
}

/** The card's fact row; nothing before the link knows its security (ringing, or an older service). */
export function securityFact(l: LinkSnapshot): TemplateResult | typeof nothing {
  if (!l.security) return nothing;
  const v = securityView(l.security);
  return html`<div class="security ${v.encrypted ? 'secure' : 'insecure'}" data-encrypted=${String(v.encrypted)}>
    <dt>Security</dt>
    <dd><span aria-hidden="true">${v.icon}</span> ${v.encrypted ? 'Encrypted' : 'Not encrypted'} · ${v.detail}</dd>
  </div>`;
}

/** The compact row's lock, with the sentence as its accessible name. */
export function securityMark(l: LinkSnapshot): TemplateResult | typeof nothing {
  if (!l.security) return nothing;
  const v = securityView(l.security);
  return html`<span class="lock ${v.encrypted ? 'secure' : 'insecure'}" role="img" aria-label=${`${v.word}: ${v.detail}`} title=${v.detail}>${v.icon}</span>`;
}
