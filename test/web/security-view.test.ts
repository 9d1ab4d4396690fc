import { describe, expect, it } from 'vitest';
import type { LinkSnapshot } from '../../web/src/model/api-types.js';
import { securityFact, securityMark, securityView } from '../../web/src/ui/views/security-view.js';
import { elements, renderTemplate, textOf } from './render-template.js';
import { snapshot } from './snapshots.js';

type Security = NonNullable<LinkSnapshot['security']>;
const sec = (over: Partial<Security>): Security => ({ signalling: 'clear', media: 'rtp', encrypted: false, reason: '', ...over });

describe('the link security lock', () => {
  it.each([
    {
      name: 'TLS and SRTP: closed lock with the suite',
      s: sec({ signalling: 'tls', media: 'srtp', encrypted: true, suite: 'AES_CM_128_HMAC_SHA1_80' }),
      encrypted: true,
      detail: 'TLS + SRTP (AES_CM_128_HMAC_SHA1_80)',
    },
    {
      name: 'TLS with clear RTP: open lock with the reason',
      s: sec({ signalling: 'tls', reason: 'media not encrypted: peer offered no a=crypto' }),
      encrypted: false,
      detail: 'TLS + clear RTP: media not encrypted: peer offered no a=crypto',
    },
    { name: 'nothing encrypted, no reason given', s: sec({}), encrypted: false, detail: 'clear SIP + clear RTP' },
  ])('$name', ({ s, encrypted, detail }) => {
    const v = securityView(s);
    expect(v.encrypted).toBe(encrypted);
    expect(v.icon).toBe(encrypted ? '🔒' : '🔓');
    expect(v.detail).toBe(detail);
  });

  it('the card says it in words beside the icon, never the icon alone', () => {
    const r = renderTemplate(securityFact(snapshot({ security: sec({ signalling: 'tls', reason: 'media not encrypted: peer offered no a=crypto' }) })));
    expect(textOf(r.html)).toContain('Not encrypted · TLS + clear RTP: media not encrypted: peer offered no a=crypto');
    expect(elements(r.html, 'div')[0]?.attrs['data-encrypted']).toBe('false');
  });

  it('the compact row carries the sentence as the lock’s accessible name', () => {
    const r = renderTemplate(securityMark(snapshot({ security: sec({ signalling: 'tls', media: 'srtp', encrypted: true, suite: 'AEAD_AES_128_GCM' }) })));
    expect(elements(r.html, 'span')[0]?.attrs['aria-label']).toBe('encrypted: TLS + SRTP (AEAD_AES_128_GCM)');
  });

  it('shows nothing for a link that does not know its security yet', () => {
    expect(textOf(renderTemplate(securityFact(snapshot({}))).html).trim()).toBe('');
    expect(textOf(renderTemplate(securityMark(snapshot({}))).html).trim()).toBe('');
  });
});
