/** Start a real SipUserAgent on loopback UDP + TCP with free ports, for socket-level tests. */
import { systemClock, type Clock } from '../../server/util/clock.js';
import { TcpSipTransport } from '../../server/sip/transport/tcp-transport.js';
import { UdpSipTransport } from '../../server/sip/transport/udp-transport.js';
import { SipUserAgent, type SipUserAgentOptions } from '../../server/sip/ua/user-agent.js';

export interface UaHarness {
  ua: SipUserAgent;
  udp: UdpSipTransport;
  tcp: TcpSipTransport;
  close(): Promise<void>;
}

export async function startUa(
  opts: Partial<Omit<SipUserAgentOptions, 'transports'>> & { stallTimeoutMs?: number; idleTimeoutMs?: number; clock?: Clock } = {},
): Promise<UaHarness> {
  const clock = opts.clock ?? systemClock;
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0 });
  const tcp = await TcpSipTransport.listen({
    clock,
    host: '127.0.0.1',
    port: 0,
    stallTimeoutMs: opts.stallTimeoutMs ?? 500,
    idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
  });
  const { stallTimeoutMs: _s, idleTimeoutMs: _i, ...rest } = opts;
  const ua = new SipUserAgent({ userAgentName: 'acip-test/0', ...rest, clock, transports: [udp, tcp] });
  return { ua, udp, tcp, close: () => ua.close() };
}

/** A minimal valid SDP answer/offer (PCMU on a dummy port), used only by tests until the links layer negotiates. */
export function minimalSdp(port = 40000, sessionId = 1): string {
  return [
    'v=0',
    `o=acip ${sessionId} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
