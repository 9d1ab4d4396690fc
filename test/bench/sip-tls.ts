/**
 * OPTIONS round trips per second over one TLS connection vs one TCP connection, between two of
 * acip's user agents in this process on loopback: sequential (one request in flight: latency-bound)
 * and with WINDOW requests in flight (throughput-bound). Prints figures; asserts nothing.
 *
 *   npx tsx test/bench/sip-tls.ts            (ACIP_SIP_TLS_BENCH_S=5 for longer runs)
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../server/util/clock.js';
import { TcpSipTransport } from '../../server/sip/transport/tcp-transport.js';
import { TlsSipTransport } from '../../server/sip/transport/tls-transport.js';
import { SipUserAgent } from '../../server/sip/ua/user-agent.js';
import { makeTestCerts } from '../helpers/certs.js';

const SECONDS = Number(process.env.ACIP_SIP_TLS_BENCH_S ?? 3);
const WINDOW = Number(process.env.ACIP_SIP_TLS_BENCH_WINDOW ?? 16);

async function ua(pair: { cert: string; key: string }, ca: string) {
  const tcp = await TcpSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0 });
  const tls = await TlsSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0, credentials: { ...pair, ca } });
  const agent = new SipUserAgent({ clock: systemClock, userAgentName: 'acip-bench/0', transports: [tcp, tls] });
  return { agent, tcp, tls };
}

/** Round trips per second for `target`, `window` requests in flight, for SECONDS. */
async function measure(client: SipUserAgent, target: string, window: number): Promise<{ rps: number; failures: number }> {
  // Opens the connection (and the TLS handshake) and warms the JIT outside the timing.
  for (let i = 0; i < 300; i++) await client.options(target);
  let done = 0;
  let failures = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      const r = await client.options(target);
      if (r.status === 200) done++;
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { rps: done / ((performance.now() - t0) / 1000), failures };
}

export async function runSipTlsBench(): Promise<void> {
  const certs = makeTestCerts();
  const a = await ua(certs.server, certs.ca.cert);
  const b = await ua(certs.client, certs.ca.cert);
  try {
    const rows: string[] = [];
    for (const window of [1, WINDOW]) {
      for (const [name, target, transport] of [
        ['TCP', `sip:acip@127.0.0.1:${a.tcp.local.port};transport=tcp`, b.tcp],
        ['TLS', `sips:acip@127.0.0.1:${a.tls.local.port}`, b.tls],
      ] as const) {
        const { rps, failures } = await measure(b.agent, target, window);
        rows.push(`${name.padEnd(4)} in flight ${String(window).padStart(3)}: ${rps.toFixed(0).padStart(7)} OPTIONS/s  (${failures} failed, ${transport.counters.connectionsOpened} connection)`);
      }
    }
    process.stdout.write(`OPTIONS round trips over one connection, ${SECONDS} s each (node ${process.version}):\n${rows.join('\n')}\n`);
  } finally {
    await a.agent.close();
    await b.agent.close();
    certs.remove();
  }
}

// Run directly (node --import tsx test/bench/sip-tls.ts) as well as from `npm run bench -- sip-tls`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSipTlsBench().catch((err: unknown) => {
    process.stderr.write(`sip-tls bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
