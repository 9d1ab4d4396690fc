import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../helpers/prng.js';
import { mutate } from '../../helpers/sip-mutator.js';
import { rewriteViaSentBy } from '../../helpers/sip-fixture-rewrite.js';
import { UdpRawPeer, optionsRequest } from '../../helpers/sip-raw-peer.js';
import { startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

const SEED = Number(process.env.SIP_FUZZ_SEED ?? 0x5eed5);
const CASES = 3000;
const TIME_BUDGET_MS = 20_000;
const BATCH = 20;

let h: UaHarness;
let peer: UdpRawPeer;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  h = await startUa();
  peer = await UdpRawPeer.open();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  peer.close();
  await h.close();
});

function seeds(port: number, target: number): Buffer[] {
  const fixtures = ['baresip-invite.sip', 'sipp-invite.sip', 'baresip-200-ok.sip', 'baresip-register-auth.sip'].map((f) =>
    rewriteViaSentBy(readFileSync(new URL(`../../fixtures/sip/${f}`, import.meta.url)), port),
  );
  const bye = optionsRequest(port, 'UDP', target, 'fuzz-bye').toString().replace(/OPTIONS/g, 'BYE').replace('To: <', 'To: <').replace(/\r\nCSeq/, ';tag=x\r\nCSeq');
  return [optionsRequest(port, 'UDP', target, 'fuzz'), Buffer.from(bye), ...fixtures];
}

describe('socket-level mutation fuzz over UDP', () => {
  it(`survives ${CASES} mutated datagrams (seed ${SEED}) and still answers OPTIONS`, async () => {
    const rand = mulberry32(SEED);
    const base = seeds(peer.port, h.udp.local.port);
    const start = Date.now();
    let sent = 0;
    let counted = 0; // datagrams the transport counts (keep-alives of only CR/LF/SP are not)
    while (sent < CASES && Date.now() - start < TIME_BUDGET_MS) {
      for (let i = 0; i < BATCH && sent < CASES; i++, sent++) {
        const { bytes } = mutate(base[Math.floor(rand() * base.length)]!, rand, 4);
        if (bytes.length === 0 || bytes.length > 65_000) continue;
        if (bytes.some((b) => b !== 0x0d && b !== 0x0a && b !== 0x20)) counted++;
        await peer.send(bytes, h.udp.local.port);
      }
      // Let the UA drain its socket before the next batch, so the kernel buffer does not overflow (bounded wait).
      const t0 = Date.now();
      while (h.udp.counters.messagesIn < counted && Date.now() - t0 < 200) await new Promise((r) => setImmediate(r));
    }
    peer.received.length = 0;
    await peer.send(optionsRequest(peer.port, 'UDP', h.udp.local.port, 'after-fuzz'), h.udp.local.port);
    const ok = await peer.waitFor((m) => m.kind === 'response' && m.headers.get('Call-ID') === 'probe-after-fuzz@127.0.0.1', 3000);
    expect(ok?.kind === 'response' && ok.status).toBe(200);
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(uncaught).toEqual([]);
    expect(h.udp.counters.dropped).toBe(0); // nothing escaped into the transport's catch-all
    expect(h.ua.counters.internalErrors).toBe(0); // and nothing threw inside the UA core
    // Loopback UDP may drop a few datagrams under load, but the bulk must have been processed.
    expect(h.udp.counters.messagesIn).toBeGreaterThan(sent * 0.9);
    console.log(`fuzz: sent ${sent}, received ${h.udp.counters.messagesIn}, malformed ${h.udp.counters.malformed}, 400s ${h.ua.counters.badRequests}, rejected ${h.ua.counters.rejectedRequests}`);
    expect(h.udp.counters.malformed).toBeGreaterThan(0);
  }, 40_000);
});
