/**
 * Small helpers of the admission interop tests: an OPTIONS probe from a chosen loopback address
 * (a source inside or outside the rules), and reading one series of acip's /metrics.
 */
import dgram from 'node:dgram';

/** Send one OPTIONS from `source` (a 127/8 address) to acip; resolves with the status, or undefined after `ms`. */
export async function optionsFrom(source: string, sipPort: number, ms = 1500): Promise<number | undefined> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, source, () => r()));
  const port = sock.address().port;
  const id = `probe-${Math.random().toString(36).slice(2)}`;
  const text = [
    `OPTIONS sip:acip@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${source}:${port};branch=z9hG4bK-${id}`,
    'Max-Forwards: 70',
    `From: <sip:probe@${source}>;tag=${id}`,
    `To: <sip:acip@127.0.0.1:${sipPort}>`,
    `Call-ID: ${id}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      sock.on('message', (buf) => {
        const m = /^SIP\/2\.0 (\d{3})/.exec(buf.toString('latin1'));
        if (m && Number(m[1]) >= 200) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      sock.send(Buffer.from(text), sipPort, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
