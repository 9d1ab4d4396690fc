import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { rewriteViaSentBy } from '../../helpers/sip-fixture-rewrite.js';
import { TcpRawPeer, UdpRawPeer, optionsRequest } from '../../helpers/sip-raw-peer.js';
import { startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

type Expect = { kind: 'request' | 'response'; ua: number | 'drop' | 'any'; stream: 'ok' | 'close' | 'stall' };
const DIR = new URL('../../fixtures/rfc4475/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8')) as Record<string, Expect>;
const files = Object.keys(expected).sort();

const isFinal = (m: SipMessage) => m.kind === 'response' && m.status >= 200;
const SILENCE_MS = 300;

function checkStatus(file: string, e: Expect, got: SipMessage | undefined): void {
  if (e.ua === 'drop') {
    expect(got, `${file}: expected no response`).toBeUndefined();
    return;
  }
  expect(got, `${file}: expected a response`).toBeDefined();
  const status = got!.kind === 'response' ? got!.status : 0;
  if (e.ua === 'any') expect([400, 416, 505], `${file}: got ${status}`).not.toContain(status);
  else expect(status, file).toBe(e.ua);
}

// One UA per transport mode: the same fixture sent again from another port would rightly be a
// merged request (§8.2.2.2 → 482) while the first one's transaction lives.
let h: UaHarness;
function freshUaPerBlock(): void {
  beforeAll(async () => {
    h = await startUa({ stallTimeoutMs: 400 });
  });
  afterAll(async () => {
    await h.close();
  });
}

async function udpOptionsStillAnswered(peer: UdpRawPeer, id: string): Promise<void> {
  peer.received.length = 0;
  await peer.send(optionsRequest(peer.port, 'UDP', h.udp.local.port, id), h.udp.local.port);
  const ok = await peer.waitFor((m) => m.kind === 'response' && m.headers.get('Call-ID') === `probe-${id}@127.0.0.1`, 2000);
  expect(ok?.kind === 'response' && ok.status).toBe(200);
}

describe('RFC 4475 torture messages sent to the UA over UDP', () => {
  freshUaPerBlock();
  for (const file of files) {
    const e = expected[file]!;
    it(`${file} gets ${e.ua === 'drop' ? 'no answer' : e.ua === 'any' ? 'an ordinary answer' : e.ua} and the UA still answers OPTIONS`, async () => {
      const peer = await UdpRawPeer.open();
      try {
        const bytes = rewriteViaSentBy(readFileSync(new URL(file, DIR)), peer.port);
        await peer.send(bytes, h.udp.local.port);
        const got = await peer.waitFor(isFinal, e.ua === 'drop' ? SILENCE_MS : 2000);
        checkStatus(file, e, got);
        if (file === 'dblreq.dat') {
          // §18.3: the INVITE past Content-Length is discarded, never processed.
          await new Promise((r) => setTimeout(r, SILENCE_MS));
          expect(peer.received.filter((m) => (m.headers.get('CSeq') ?? '').includes('INVITE'))).toEqual([]);
        }
        await udpOptionsStillAnswered(peer, `udp-${file}`);
      } finally {
        peer.close();
      }
    });
  }
});

for (const mode of ['in one write', 'one byte at a time'] as const) {
  describe(`RFC 4475 torture messages sent to the UA over TCP ${mode}`, () => {
    freshUaPerBlock();
    for (const file of files) {
      const e = expected[file]!;
      it(`${file}: stream outcome "${e.stream}", and the UA still answers OPTIONS`, async () => {
        const peer = await TcpRawPeer.connect(h.tcp.local.port);
        try {
          const bytes = rewriteViaSentBy(readFileSync(new URL(file, DIR)), peer.localPort);
          if (mode === 'in one write') await peer.write(bytes);
          else await peer.writeBytewise(bytes);
          if (e.stream === 'ok') {
            const got = await peer.waitFor(isFinal, e.ua === 'drop' ? SILENCE_MS : 2000);
            checkStatus(file, e, got);
            expect(peer.closedByPeer).toBe(false);
          } else {
            // Framing is unrecoverable (close) or never completes (stall): the UA closes the connection.
            expect(await peer.waitClosed(3000), `${file}: connection should be closed`).toBe(true);
            for (const m of peer.received) {
              if (m.kind !== 'response') continue;
              if (file === 'dblreq.dat') expect([400, 416, 505]).not.toContain(m.status);
              else if (m.status >= 200) expect(m.status).toBe(400);
            }
          }
        } finally {
          peer.close();
        }
        const probe = await TcpRawPeer.connect(h.tcp.local.port);
        try {
          await probe.write(optionsRequest(probe.localPort, 'TCP', h.tcp.local.port, `tcp-${file}`));
          const ok = await probe.waitFor(isFinal, 2000);
          expect(ok?.kind === 'response' && ok.status).toBe(200);
        } finally {
          probe.close();
        }
      });
    }
  });
}
