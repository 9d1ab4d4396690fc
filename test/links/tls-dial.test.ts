/**
 * A link dialling a TLS peer through the real user agent on 127.0.0.1: a certificate that fails
 * verification ends the link with the TLS reason (RFC 5922 §7), and a phonebook entry with
 * `tlsVerify: false` reaches the same peer.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../server/util/clock.js';
import { validateConfig } from '../../server/config/load-config.js';
import { LinkManager } from '../../server/links/link-manager.js';
import type { LinkSnapshot } from '../../server/links/link-types.js';
import { TlsSipTransport } from '../../server/sip/transport/tls-transport.js';
import { SipUserAgent } from '../../server/sip/ua/user-agent.js';
import type { PhonebookEntry } from '../../server/store/phonebook.js';
import { tlsTestEnv, type CertPair } from '../helpers/certs.js';
import { FakeMediaOpener, RecordingLog, flush, peerAnswer, profiles } from './fakes.js';
import { MemoryPhonebook, entry } from './manager-env.js';

const env = tlsTestEnv();
const { hasOpenssl, closers } = env;

async function tlsUa(pair: CertPair, localUser: string): Promise<{ ua: SipUserAgent; port: number }> {
  const t = await TlsSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0, credentials: { cert: pair.cert, key: pair.key, ca: env.certs.ca.cert } });
  const ua = new SipUserAgent({ clock: systemClock, userAgentName: `${localUser}/0`, localUser, transports: [t] });
  closers.push(() => ua.close());
  return { ua, port: t.local.port };
}

function manager(ua: SipUserAgent, phonebook: PhonebookEntry[]): LinkManager {
  const m = new LinkManager({
    ua,
    clock: new FakeClock(),
    config: validateConfig({ dataDir: '/nonexistent', links: { probeIntervalS: 0 } }),
    profiles: () => profiles,
    phonebook: new MemoryPhonebook(phonebook),
    history: { add: () => undefined },
    log: new RecordingLog(),
    portRange: { min: 6000, max: 6999 },
    mediaAddressFor: () => '127.0.0.1',
    onCallSetup: () => undefined,
    keepEndedMs: 60_000,
    openMedia: new FakeMediaOpener().open,
  });
  m.start();
  closers.push(() => m.close());
  return m;
}

/** Poll the link until `done` says so (the TLS handshake runs on real sockets). */
async function until(m: LinkManager, id: string, done: (l: LinkSnapshot) => boolean): Promise<LinkSnapshot> {
  const end = Date.now() + 5000;
  for (;;) {
    await flush();
    const l = m.get(id)!;
    if (done(l) || Date.now() > end) return l;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!hasOpenssl)('a link dialling a TLS peer', () => {
  it('ends with the TLS verification failure in its end reason when the peer certificate is self-signed', async () => {
    const peer = await tlsUa(env.certs.selfSigned, 'peer');
    const us = await tlsUa(env.certs.client, 'acip');
    const m = manager(us.ua, []);
    const snap = m.dial({ to: `sips:peer@127.0.0.1:${peer.port}` });
    const l = await until(m, snap.id, (x) => x.state === 'ended' || x.state === 'failed' || x.endReason !== null);
    expect(l.endReason).toMatchObject({ by: 'remote', sipStatus: 503 });
    expect(l.endReason?.reason).toMatch(/^Service Unavailable \(SIP_TLS_VERIFY_FAILED: .*DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('reaches the same peer when its phonebook entry says tlsVerify false', async () => {
    const peer = await tlsUa(env.certs.selfSigned, 'peer');
    const offers: string[] = [];
    peer.ua.on('incomingCall', (c) => {
      offers.push(c.offerSdp ?? '');
      c.accept(peerAnswer(c.offerSdp ?? '', 'ebu-3326-interop'));
    });
    const us = await tlsUa(env.certs.client, 'acip');
    const uri = `sips:peer@127.0.0.1:${peer.port}`;
    const m = manager(us.ua, [entry('e1', 'Self-signed studio', uri, { tlsVerify: false })]);
    const snap = m.dial({ to: uri });
    const l = await until(m, snap.id, (x) => x.state === 'connected' || x.endReason !== null);
    expect(offers).toHaveLength(1);
    expect(l.endReason).toBeNull();
    expect(l.state).toBe('connected');
  });
});
