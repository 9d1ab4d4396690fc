/**
 * RFC 3261 §12.1.1: a UAS copies the Record-Route of a dialog-creating INVITE into its 2xx, in order, so the
 * caller's ACK and BYE pass through the proxies that asked to stay in the path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRouteOf } from '../../../server/sip/ua/dialog-call.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { UdpRawPeer } from '../../helpers/sip-raw-peer.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

let h: UaHarness;
/** Call-IDs the UA only rings (180) instead of answering. */
const ringOnly = new Set<string>();
let peer: UdpRawPeer;
beforeAll(async () => {
  h = await startUa();
  h.ua.on('incomingCall', (call) => (ringOnly.has(call.callId) ? call.ringing() : call.accept(minimalSdp(40010))));
  peer = await UdpRawPeer.open();
});
afterAll(async () => {
  peer.close();
  await h.close();
});

function invite(callId: string, recordRoutes: string[], toTag?: string): string {
  const body = minimalSdp(40012);
  return [
    `INVITE sip:acip@127.0.0.1:${h.udp.local.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-rr-${callId}`,
    'Max-Forwards: 70',
    `From: <sip:tester@127.0.0.1>;tag=f-${callId}`,
    `To: <sip:acip@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:tester@127.0.0.1:${peer.port}>`,
    ...recordRoutes.map((r) => `Record-Route: ${r}`),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

describe('Record-Route in answers to a dialog-creating INVITE (RFC 3261 §12.1.1)', () => {
  it('copies every Record-Route of the INVITE into the 200, in order', async () => {
    const rr = ['<sip:10.0.0.1;lr>', '<sip:proxy-b.example;lr;transport=tcp>, <sip:proxy-c.example;lr>'];
    await peer.send(Buffer.from(invite('rr-1', rr)), h.udp.local.port);
    const ok = await peer.waitFor((m) => m.kind === 'response' && m.status === 200 && m.headers.get('Call-ID') === 'rr-1', 2000);
    expect(ok?.headers.getAll('Record-Route')).toEqual(rr);
  });

  it('copies them into the 180 of the early dialog as well', async () => {
    const rr = ['<sip:10.0.0.1;lr>', '<sip:proxy-b.example;lr>'];
    ringOnly.add('rr-180');
    await peer.send(Buffer.from(invite('rr-180', rr)), h.udp.local.port);
    const ringing = await peer.waitFor((m) => m.kind === 'response' && m.status === 180 && m.headers.get('Call-ID') === 'rr-180', 2000);
    expect(ringing?.headers.getAll('Record-Route')).toEqual(rr);
  });

  it('adds no Record-Route when the INVITE has none', async () => {
    await peer.send(Buffer.from(invite('rr-2', [])), h.udp.local.port);
    const ok = await peer.waitFor((m) => m.kind === 'response' && m.status === 200 && m.headers.get('Call-ID') === 'rr-2', 2000);
    expect(ok?.headers.getAll('Record-Route')).toEqual([]);
  });

  it.each([
    ['an initial INVITE', undefined, ['<sip:p1;lr>'], ['<sip:p1;lr>']],
    ['a re-INVITE inside a dialog (To tag): the route set is fixed already', 't1', ['<sip:p1;lr>'], []],
  ])('recordRouteOf on %s', (_name, toTag, rr, expected) => {
    const parsed = parseMessage(Buffer.from(invite('rr-pure', rr, toTag)));
    if (parsed.kind !== 'request') throw new Error('expected a request');
    expect(recordRouteOf(parsed).map(([, v]) => v)).toEqual(expected);
  });
});
