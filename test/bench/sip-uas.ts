/**
 * A small SIP UAS for benchmarks and manual interop: answers every INVITE with a minimal SDP
 * (PCMU on a dummy port — a test fallback until the links layer negotiates).
 * Usage: tsx test/bench/sip-uas.ts [port] [udp|tcp]   → prints "READY <port>" when listening.
 */
import { systemClock } from '../../server/util/clock.js';
import { TcpSipTransport } from '../../server/sip/transport/tcp-transport.js';
import { UdpSipTransport } from '../../server/sip/transport/udp-transport.js';
import { SipUserAgent } from '../../server/sip/ua/user-agent.js';

export function fallbackAnswerSdp(port = 40000): string {
  return ['v=0', 'o=acip 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

export async function startBenchUas(port = 0): Promise<{ ua: SipUserAgent; udpPort: number; tcpPort: number }> {
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port });
  const tcp = await TcpSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: udp.local.port });
  const ua = new SipUserAgent({ clock: systemClock, transports: [udp, tcp], userAgentName: 'acip-bench' });
  ua.on('incomingCall', (call) => call.accept(fallbackAnswerSdp()));
  return { ua, udpPort: udp.local.port, tcpPort: tcp.local.port };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const port = Number(process.argv[2] ?? 0);
  void startBenchUas(port).then(({ ua, udpPort }) => {
    process.stdout.write(`READY ${udpPort}\n`);
    const stop = () => void ua.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
