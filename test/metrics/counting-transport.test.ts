import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countingTransport } from '../../server/metrics/counting-transport.js';
import { registerLinkMetrics } from '../../server/metrics/link-collectors.js';
import { parseMessage } from '../../server/sip/grammar/parser.js';
import type { SipMessage } from '../../server/sip/grammar/message.js';
import type { SipTransport, SipTransportHandler } from '../../server/sip/transport/sip-transport.js';

const request = (method: string) =>
  parseMessage(Buffer.from(`${method} sip:acip@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\nFrom: <sip:a@192.0.2.7>;tag=1\r\nTo: <sip:acip@192.0.2.1>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`));
const response = (status: number) =>
  parseMessage(Buffer.from(`SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\nFrom: <sip:a@192.0.2.7>;tag=1\r\nTo: <sip:acip@192.0.2.1>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`));

function rig() {
  const registry = new Registry();
  const metrics = registerLinkMetrics(registry, { links: () => [], registration: () => null });
  let handler: SipTransportHandler | undefined;
  const inner: SipTransport = {
    protocol: 'udp',
    reliable: false,
    local: { address: '192.0.2.1', port: 5060 },
    counters: { messagesIn: 0, messagesOut: 0, malformed: 0, dropped: 0, connectionsOpened: 0, connectionsClosed: 0, connectionsRefused: 0 },
    setHandler: (h) => (handler = h),
    send: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const t = countingTransport(inner, metrics);
  const received: SipMessage[] = [];
  t.setHandler({ onMessage: (m) => received.push(m) });
  const receive = (m: SipMessage) => handler!.onMessage(m, { transport: inner, remote: { address: '192.0.2.7', port: 5060 }, local: inner.local });
  const scrape = async () =>
    (await registry.metrics())
      .split('\n')
      .filter((l) => /^acip_sip_(requests|responses)_total\{/.test(l))
      .sort();
  return { t, receive, received, scrape };
}

describe('SIP messages counted by the counting transport', () => {
  it('counts each request by method and each response by code, in and out, as a scrape reads them', async () => {
    const { t, receive, received, scrape } = rig();
    for (const m of ['INVITE', 'ACK', 'BYE', 'INVITE']) receive(request(m));
    for (const s of [100, 200, 200]) await t.send(response(s), { address: '192.0.2.7', port: 5060 });
    await t.send(request('BYE'), { address: '192.0.2.7', port: 5060 });
    expect(received).toHaveLength(4);
    expect(await scrape()).toEqual([
      'acip_sip_requests_total{method="ACK",direction="in"} 1',
      'acip_sip_requests_total{method="BYE",direction="in"} 1',
      'acip_sip_requests_total{method="BYE",direction="out"} 1',
      'acip_sip_requests_total{method="INVITE",direction="in"} 2',
      'acip_sip_responses_total{code="100",direction="out"} 1',
      'acip_sip_responses_total{code="200",direction="out"} 2',
    ]);
  });

  it('reports the same totals to every scrape, growing only with new messages', async () => {
    const { receive, scrape } = rig();
    receive(request('OPTIONS'));
    const first = await scrape();
    expect(await scrape()).toEqual(first);
    receive(request('OPTIONS'));
    expect(await scrape()).toEqual(['acip_sip_requests_total{method="OPTIONS",direction="in"} 2']);
  });

  it('counts a method it does not know under "other", so a flood of made-up methods mints no series', async () => {
    const { receive, scrape } = rig();
    for (let i = 0; i < 5; i++) receive(request(`FOO${i}`));
    expect(await scrape()).toEqual(['acip_sip_requests_total{method="other",direction="in"} 5']);
  });

  it('leaves bytes sent already serialised uncounted', async () => {
    const { t, scrape } = rig();
    await t.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), { address: '192.0.2.7', port: 5060 });
    expect(await scrape()).toEqual([]);
  });
});
