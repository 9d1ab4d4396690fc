/**
 * RFC 3261 §8.1.1.8 for REGISTER: a sips: registrar URI makes the Contact we register a sips: URI
 * (RFC 5630 §3.1.3); sip: with ;transport=tls keeps a sip: Contact. The registration runs against a
 * fake core that records what it was asked for.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { Registration } from '../../../server/sip/ua/registration.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import type { SipRoute, UaCore } from '../../../server/sip/ua/ua-core.js';
import type { SipTransport } from '../../../server/sip/transport/sip-transport.js';

function fakeCore() {
  const tls = { protocol: 'tls', reliable: true, local: { address: '192.0.2.1', port: 5061 } } as unknown as SipTransport;
  const sent: SipRequest[] = [];
  const secureAsked: boolean[] = [];
  const core = {
    clock: new FakeClock(),
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    userAgentName: 'ua',
    locate: (): SipRoute[] => [{ transport: tls, dest: { address: '192.0.2.9', port: 5061 } }],
    via: () => 'SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK-1;rport;alias',
    contact: (_t: SipTransport, secure = false) => {
      secureAsked.push(secure);
      return secure ? '<sips:acip@192.0.2.1:5061>' : '<sip:acip@192.0.2.1:5061;transport=tls>';
    },
    sendRequest: (req: SipRequest) => {
      sent.push(req);
      return {};
    },
  } as unknown as UaCore;
  return { core, sent, secureAsked };
}

describe('REGISTER over TLS', () => {
  it.each([
    ['sips:registrar.example', '<sips:acip@192.0.2.1:5061>', true],
    ['SIPS:registrar.example:5061', '<sips:acip@192.0.2.1:5061>', true],
    ['sip:registrar.example;transport=tls', '<sip:acip@192.0.2.1:5061;transport=tls>', false],
    ['sip:registrar.example', '<sip:acip@192.0.2.1:5061;transport=tls>', false],
  ])('a REGISTER to %s carries the Contact %s', (registrar, contact, secure) => {
    const { core, sent, secureAsked } = fakeCore();
    const reg = new Registration(core, { registrar, aor: 'sip:acip@example.org', expires: 60, retry: false }, 'host');
    reg.start();
    expect(secureAsked).toEqual([secure]);
    expect(sent[0]?.uri).toBe(registrar);
    expect(sent[0]?.headers.get('Contact')).toBe(contact);
    reg.close();
  });
});
