import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { TcpSipTransport } from '../../../server/sip/transport/tcp-transport.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { TcpRawPeer, optionsRequest } from '../../helpers/sip-raw-peer.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function listen(clock: FakeClock, opts: { maxConnections?: number } = {}) {
  const t = await TcpSipTransport.listen({ clock, stallTimeoutMs: 5000, idleTimeoutMs: 60_000, ...opts });
  const got: SipMessage[] = [];
  const malformed: string[] = [];
  t.setHandler({
    onMessage: (m, info) => {
      got.push(m);
      // Echo a response back on the connection it came on (§18.2.2).
      if (m.kind === 'request') {
        const res = Buffer.from(
          `SIP/2.0 200 OK\r\nVia: ${m.headers.get('Via')}\r\nCall-ID: ${m.headers.get('Call-ID')}\r\nCSeq: 1 OPTIONS\r\nFrom: a\r\nTo: b\r\nContent-Length: 0\r\n\r\n`,
        );
        void t.send(res, { ...info.remote, ...(info.connectionId ? { connectionId: info.connectionId } : {}) });
      }
    },
    onMalformedRequest: (_p, reason) => malformed.push(reason),
  });
  closers.push(() => t.close());
  return { t, got, malformed };
}

const until = async (pred: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return pred();
};

describe('SIP over TCP', () => {
  it('frames two messages in one write and one message split at every byte, and answers on the same connection', async () => {
    const clock = new FakeClock();
    const { t, got } = await listen(clock);
    const peer = await TcpRawPeer.connect(t.local.port);
    closers.push(() => peer.close());
    const a = optionsRequest(peer.localPort, 'TCP', t.local.port, 'a');
    const b = optionsRequest(peer.localPort, 'TCP', t.local.port, 'b');
    await peer.write(Buffer.concat([a, b]));
    await peer.writeBytewise(optionsRequest(peer.localPort, 'TCP', t.local.port, 'c'));
    expect(await until(() => got.length === 3)).toBe(true);
    expect(got.map((m) => m.headers.get('Call-ID'))).toEqual(['probe-a@127.0.0.1', 'probe-b@127.0.0.1', 'probe-c@127.0.0.1']);
    expect(await until(() => peer.received.length === 3)).toBe(true);
    expect(t.connectionCount).toBe(1);
    // §18.2.1: received is stamped only when the sent-by differs; rport was not asked for.
    expect(got[0]!.headers.get('Via')).toBe(`SIP/2.0/TCP 127.0.0.1:${peer.localPort};branch=z9hG4bK-a`);
  });

  it('closes a connection whose partial message stalls past the stall timeout (fake clock)', async () => {
    const clock = new FakeClock();
    const { t } = await listen(clock);
    const peer = await TcpRawPeer.connect(t.local.port);
    closers.push(() => peer.close());
    await peer.write(Buffer.from('OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1'));
    expect(await until(() => t.connectionCount === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(4999);
    expect(t.connectionCount).toBe(1);
    clock.advance(1);
    expect(t.connectionCount).toBe(0);
    expect(await peer.waitClosed(2000)).toBe(true);
    expect(t.counters.malformed).toBe(1);
  });

  it('closes an idle connection after the idle timeout and a garbage-sending one at once', async () => {
    const clock = new FakeClock();
    const { t } = await listen(clock);
    const idle = await TcpRawPeer.connect(t.local.port);
    const garbage = await TcpRawPeer.connect(t.local.port);
    closers.push(() => idle.close(), () => garbage.close());
    expect(await until(() => t.connectionCount === 2)).toBe(true);
    await garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await garbage.waitClosed(2000)).toBe(true);
    clock.advance(60_000);
    expect(await idle.waitClosed(2000)).toBe(true);
    expect(t.connectionCount).toBe(0);
  });

  it('refuses connections beyond the limit', async () => {
    const clock = new FakeClock();
    const { t } = await listen(clock, { maxConnections: 2 });
    const peers = await Promise.all([0, 1, 2].map(() => TcpRawPeer.connect(t.local.port)));
    closers.push(() => peers.forEach((p) => p.close()));
    expect(await until(() => t.counters.connectionsRefused === 1)).toBe(true);
    expect(t.connectionCount).toBe(2);
  });
});
