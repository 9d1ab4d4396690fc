import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import { parsePidf } from '../../../server/sip/presence/pidf.js';
import { presenceFromPidf } from '../../../server/sip/presence/presence-state.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { MemoryPeer } from './memory-peer.js';

/** acip's UA with a scripted watcher that answers every NOTIFY with `notifyStatus`. */
function watcher(notifyStatus = 200, limits = {}) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip', presenceLimits: limits });
  const peer = new MemoryPeer(net, t.local.port);
  peer.onRequest = (req) => (req.method === 'NOTIFY' ? MemoryPeer.answer(req, notifyStatus, notifyStatus === 200 ? 'OK' : 'Gone') : undefined);
  const subscribe = (o: { cseq: number; expires?: number; event?: string; toTag?: string; callId?: string; branch?: string }) =>
    peer.request({
      method: 'SUBSCRIBE',
      cseq: o.cseq,
      branch: o.branch ?? `z9hG4bK-s${o.cseq}-${o.callId ?? ''}`,
      ...(o.toTag ? { toTag: o.toTag } : {}),
      ...(o.callId ? { callId: o.callId } : {}),
      headers: [`Event: ${o.event ?? 'presence'}`, ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []), 'Accept: application/pidf+xml'],
    });
  const notifies = () => peer.requests('NOTIFY');
  const stateOf = (i: number) => {
    const n = notifies()[i]!;
    return { sub: n.headers.get('Subscription-State'), presence: n.body.length ? presenceFromPidf(parsePidf(n.body)) : null };
  };
  return { clock, net, acip, peer, subscribe, notifies, stateOf };
}

describe('acip as a presence notifier (RFC 6665, RFC 3856)', () => {
  it('refuses another event package with 489 naming presence in Allow-Events', () => {
    const { clock, peer, subscribe, notifies } = watcher();
    subscribe({ cseq: 1, event: 'dialog' });
    clock.advance(50);
    const res = peer.responses(489, 'SUBSCRIBE')[0]!;
    expect(res.headers.get('Allow-Events')).toBe('presence');
    expect(notifies()).toHaveLength(0);
  });

  it('accepts a subscription with 200 and Expires, then NOTIFYs the state at once and on every change', () => {
    const { clock, acip, peer, subscribe, notifies, stateOf } = watcher();
    subscribe({ cseq: 1, expires: 600 });
    clock.advance(50);
    const ok = peer.responses(200, 'SUBSCRIBE')[0]!;
    expect(ok.headers.get('Expires')).toBe('600');
    expect(ok.headers.get('To')).toMatch(/;tag=/);
    expect(stateOf(0)).toEqual({ sub: 'active;expires=600', presence: 'open' });
    // The NOTIFY is in the subscription's dialog: our tag in From, the watcher's in To.
    const first = notifies()[0]!;
    expect(first.headers.get('From')).toContain(/;tag=([^;\s]+)/.exec(ok.headers.get('To')!)![1]!);
    expect(first.headers.get('To')).toContain('tag=peertag');
    expect(first.headers.get('Event')).toBe('presence');
    acip.setPresence('busy');
    clock.advance(50);
    expect(stateOf(1).presence).toBe('busy');
    expect(acip.presenceWatchers).toBe(1);
  });

  it('refreshes in the dialog, and ends the subscription with Expires 0 and a terminated NOTIFY', () => {
    const { clock, acip, peer, subscribe, notifies, stateOf } = watcher();
    subscribe({ cseq: 1, expires: 600 });
    clock.advance(50);
    const tag = /;tag=([^;\s]+)/.exec(peer.responses(200, 'SUBSCRIBE')[0]!.headers.get('To')!)![1]!;
    subscribe({ cseq: 2, expires: 300, toTag: tag });
    clock.advance(50);
    expect(peer.responses(200, 'SUBSCRIBE')).toHaveLength(2);
    expect(stateOf(1).sub).toBe('active;expires=300');
    subscribe({ cseq: 3, expires: 0, toTag: tag });
    clock.advance(50);
    expect(stateOf(2).sub).toMatch(/^terminated/);
    expect(acip.presenceWatchers).toBe(0);
    // The dialog is gone with the subscription.
    subscribe({ cseq: 4, expires: 300, toTag: tag });
    clock.advance(50);
    expect(peer.responses(481, 'SUBSCRIBE')).toHaveLength(1);
    expect(notifies()).toHaveLength(3);
  });

  it('answers a SUBSCRIBE in a dialog it does not know with 481', () => {
    const { clock, peer, subscribe } = watcher();
    subscribe({ cseq: 1, expires: 600, toTag: 'nosuch' });
    clock.advance(50);
    expect(peer.responses(481, 'SUBSCRIBE')).toHaveLength(1);
  });

  it('forgets a watcher whose NOTIFY is answered 481', () => {
    const { clock, acip, subscribe } = watcher(481);
    subscribe({ cseq: 1, expires: 600 });
    clock.advance(100);
    expect(acip.presenceWatchers).toBe(0);
  });

  it('ends a subscription that is not refreshed with a terminated NOTIFY at expiry', () => {
    const { clock, acip, subscribe, notifies, stateOf } = watcher();
    subscribe({ cseq: 1, expires: 60 });
    clock.advance(61_000);
    expect(stateOf(notifies().length - 1).sub).toBe('terminated;reason=timeout');
    expect(acip.presenceWatchers).toBe(0);
  });

  it('bounds subscriptions per source with 503 and Retry-After', () => {
    const { clock, acip, peer, subscribe } = watcher(200, { maxPerSource: 2 });
    for (const id of ['a', 'b', 'c']) subscribe({ cseq: 1, expires: 600, callId: `sub-${id}` });
    clock.advance(50);
    expect(acip.presenceWatchers).toBe(2);
    expect(peer.responses(503, 'SUBSCRIBE')[0]!.headers.get('Retry-After')).toBe('60');
  });

  it('names presence and refer in Allow-Events and SUBSCRIBE in Allow of its OPTIONS answer', () => {
    const { clock, peer } = watcher();
    peer.request({ method: 'OPTIONS', cseq: 1, branch: 'z9hG4bK-o1' });
    clock.advance(50);
    const res = peer.responses(200, 'OPTIONS')[0]!;
    expect(res.headers.get('Allow-Events')).toBe('presence, refer');
    expect(res.headers.get('Allow')).toMatch(/\bSUBSCRIBE\b/);
  });

  it('tells every watcher the subscription is over when it closes', async () => {
    const { clock, net, acip, subscribe } = watcher();
    subscribe({ cseq: 1, expires: 600 });
    clock.advance(50);
    await acip.close();
    const sent = net.find((r) => r.msg.kind === 'request' && r.msg.method === 'NOTIFY').map((r) => r.msg.headers.get('Subscription-State'));
    expect(sent).toEqual(['active;expires=600', 'terminated;reason=deactivated']);
  });
});
