/**
 * Early media on an outgoing call, at the user agent (RFC 3960 §3, RFC 3262 §5): a provisional
 * response with SDP is reported with its dialog's To tag, shown as the remote SDP while ringing,
 * and the 2xx says which dialog answered and what SDP that dialog sent early. A scripted peer on
 * the in-memory network plays the far end (a gateway, or a forking proxy's branches).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { CallEvents } from '../../../server/sip/ua/call-types.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

type Progress = CallEvents['progress'][0];
type Answered = CallEvents['answered'][0];

function dialPeer() {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
  const peer = new MemoryPeer(net, t.local.port);
  let invite: SipRequest | undefined;
  peer.onRequest = (req) => {
    if (req.method === 'INVITE') invite = req;
    return req.method === 'BYE' || req.method === 'PRACK' ? MemoryPeer.answer(req, 200, 'OK') : undefined;
  };
  const call = acip.invite(`sip:gateway@127.0.0.1:${peer.port}`, { sdp: minimalSdp(40000) });
  const progress: Progress[] = [];
  const answered: Answered[] = [];
  call.on('progress', (p) => progress.push(p));
  call.on('answered', (a) => answered.push(a));
  clock.advance(20);
  /** The peer sends a response to acip's INVITE in the dialog `toTag`. */
  const respond = (status: number, reason: string, toTag: string, o: { body?: string; headers?: string[] } = {}) => {
    const headers = [`Contact: <sip:gateway@127.0.0.1:${peer.port}>`, ...(o.headers ?? [])];
    const text = MemoryPeer.answer(invite!, status, reason, { toTag, headers, ...(o.body !== undefined ? { body: o.body } : {}) });
    void peer.t.send(Buffer.from(text), { address: '127.0.0.1', port: t.local.port });
    clock.advance(20);
  };
  return { clock, peer, call, progress, answered, respond };
}

describe('early media on an outgoing call', () => {
  it('reports the SDP of an unreliable 183 with its dialog, and the early SDP again with a 2xx that has none', () => {
    const { call, progress, answered, respond } = dialPeer();
    const early = minimalSdp(41000, 7);
    respond(183, 'Session Progress', 'gw-a', { body: early });
    expect(progress).toEqual([{ status: 183, reason: 'Session Progress', sdp: early, toTag: 'gw-a' }]);
    expect(call.remoteSdp).toBe(early);
    respond(200, 'OK', 'gw-a');
    expect(answered).toEqual([{ sdp: undefined, toTag: 'gw-a', earlySdp: early }]);
    expect(call.remoteSdp).toBe(early);
  });

  it('PRACKs a reliable 183 with SDP and reports the 2xx SDP beside the early one', () => {
    const { peer, progress, answered, respond } = dialPeer();
    const early = minimalSdp(41000, 7);
    respond(183, 'Session Progress', 'gw-a', { body: early, headers: ['Require: 100rel', 'RSeq: 1'] });
    expect(peer.requests('PRACK')).toHaveLength(1);
    expect(progress.map((p) => p.sdp)).toEqual([early]);
    respond(200, 'OK', 'gw-a', { body: early });
    expect(answered).toEqual([{ sdp: early, toTag: 'gw-a', earlySdp: early }]);
  });

  it('keeps the first early SDP of each fork and names the answering fork', () => {
    const { call, progress, answered, respond } = dialPeer();
    const a = minimalSdp(41000, 7);
    const b = minimalSdp(42000, 8);
    respond(183, 'Session Progress', 'gw-a', { body: a });
    respond(183, 'Session Progress', 'gw-b', { body: b });
    respond(183, 'Session Progress', 'gw-b', { body: minimalSdp(43000, 9) });
    expect(progress.map((p) => p.toTag)).toEqual(['gw-a', 'gw-b', 'gw-b']);
    // While ringing, the remote SDP shown is the first early one.
    expect(call.remoteSdp).toBe(a);
    respond(200, 'OK', 'gw-b');
    expect(answered).toEqual([{ sdp: undefined, toTag: 'gw-b', earlySdp: b }]);
    expect(call.remoteSdp).toBe(b);
  });

  it('reports a 180 without SDP with its dialog and no SDP, and a 2xx without early SDP with none', () => {
    const { call, progress, answered, respond } = dialPeer();
    respond(180, 'Ringing', 'gw-a');
    expect(progress).toEqual([{ status: 180, reason: 'Ringing', toTag: 'gw-a' }]);
    expect(call.remoteSdp).toBeUndefined();
    const sdp = minimalSdp(41000, 7);
    respond(200, 'OK', 'gw-a', { body: sdp });
    expect(answered).toEqual([{ sdp, toTag: 'gw-a' }]);
  });
});
