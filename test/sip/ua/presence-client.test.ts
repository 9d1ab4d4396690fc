import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { MemoryPeer } from './memory-peer.js';

const PIDF_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:peer@127.0.0.1"><tuple id="t"><status><basic>open</basic></status></tuple></presence>';

describe('acip watching a peer (RFC 6665 §4.1, RFC 3856)', () => {
  it('subscribes to another acip and hears every change of its presence', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const ta = net.transport();
    const tb = net.transport();
    const watcher = new SipUserAgent({ clock, transports: [ta], userAgentName: 'a', localUser: 'a' });
    const studio = new SipUserAgent({ clock, transports: [tb], userAgentName: 'b', localUser: 'b' });
    const heard: string[] = [];
    const watch = watcher.watchPresence(`sip:b@127.0.0.1:${tb.local.port}`, (p) => heard.push(p));
    clock.advance(100);
    studio.setPresence('busy');
    clock.advance(100);
    studio.setPresence('closed');
    clock.advance(100);
    expect(heard).toEqual(['open', 'busy', 'closed']);
    expect(studio.presenceWatchers).toBe(1);
    watch.stop();
    clock.advance(100);
    expect(studio.presenceWatchers).toBe(0);
  });

  it('refreshes the subscription in its dialog before it expires', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const ta = net.transport();
    const tb = net.transport();
    const watcher = new SipUserAgent({ clock, transports: [ta], userAgentName: 'a', localUser: 'a' });
    new SipUserAgent({ clock, transports: [tb], userAgentName: 'b', localUser: 'b' });
    watcher.watchPresence(`sip:b@127.0.0.1:${tb.local.port}`, () => undefined);
    clock.advance(3600_000);
    const subscribes = net.find((r) => r.msg.kind === 'request' && r.msg.method === 'SUBSCRIBE').map((r) => r.msg as SipRequest);
    expect(subscribes.length).toBeGreaterThanOrEqual(2);
    // The refresh is in the dialog: same Call-ID, a To tag, a higher CSeq.
    expect(subscribes[1]!.headers.get('Call-ID')).toBe(subscribes[0]!.headers.get('Call-ID'));
    expect(subscribes[1]!.headers.get('To')).toMatch(/;tag=/);
  });

  it('takes a NOTIFY that overtakes the 2xx and makes the dialog from it', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const ta = net.transport();
    const watcher = new SipUserAgent({ clock, transports: [ta], userAgentName: 'a', localUser: 'a' });
    const peer = new MemoryPeer(net, ta.local.port);
    const heard: string[] = [];
    let subscribe: SipRequest | undefined;
    // The peer sends its NOTIFY first and its 200 to the SUBSCRIBE 50 ms later.
    peer.onRequest = (req) => {
      if (req.method !== 'SUBSCRIBE' || subscribe) return undefined;
      subscribe = req;
      const from = req.headers.get('From')!;
      const notify = [
        `NOTIFY sip:a@127.0.0.1:${ta.local.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-n1`,
        'Max-Forwards: 70',
        `From: <sip:peer@127.0.0.1:${peer.port}>;tag=notifier`,
        `To: ${from}`,
        `Call-ID: ${req.headers.get('Call-ID')}`,
        'CSeq: 1 NOTIFY',
        `Contact: <sip:peer@127.0.0.1:${peer.port}>`,
        'Event: presence',
        'Subscription-State: active;expires=3600',
        'Content-Type: application/pidf+xml',
        `Content-Length: ${Buffer.byteLength(PIDF_OPEN)}`,
        '',
        PIDF_OPEN,
      ].join('\r\n');
      void peer.t.send(Buffer.from(notify), { address: '127.0.0.1', port: ta.local.port });
      clock.setTimer(50, () => void peer.t.send(Buffer.from(MemoryPeer.answer(req, 200, 'OK', { toTag: 'notifier', headers: ['Expires: 3600'] })), { address: '127.0.0.1', port: ta.local.port }));
      return undefined;
    };
    watcher.watchPresence(`sip:peer@127.0.0.1:${peer.port}`, (p) => heard.push(p));
    clock.advance(200);
    expect(heard).toEqual(['open']);
    expect(peer.responses(200, 'NOTIFY')).toHaveLength(1);
  });

  it('answers a NOTIFY for no subscription with 481', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const ta = net.transport();
    new SipUserAgent({ clock, transports: [ta], userAgentName: 'a', localUser: 'a' });
    const peer = new MemoryPeer(net, ta.local.port);
    peer.request({ method: 'NOTIFY', cseq: 1, branch: 'z9hG4bK-x', toTag: 'nosuch', headers: ['Event: presence', 'Subscription-State: active'] });
    clock.advance(50);
    expect(peer.responses(481, 'NOTIFY')).toHaveLength(1);
  });
});
