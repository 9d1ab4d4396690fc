import { describe, expect, it } from 'vitest';
import { Dialog, dialogKeyOfIncoming } from '../../../server/sip/dialog/dialog.js';
import { glareRetryDelayMs } from '../../../server/sip/dialog/glare.js';
import { makeRequest, makeResponse } from '../../helpers/sip-test-messages.js';

function inviteWithRoutes() {
  const inv = makeRequest('INVITE', { branch: 'z9hG4bKd1', callId: 'dlg-1', fromTag: 'caller', cseq: 7 });
  inv.headers.append('Contact', '<sip:alice@10.0.0.1:5070>');
  inv.headers.append('Record-Route', '<sip:p1.example;lr>, <sip:p2.example;lr>');
  inv.headers.append('Record-Route', '<sip:p3.example;lr>');
  return inv;
}

describe('dialogs (RFC 3261 §12)', () => {
  it('builds the UAS side from the INVITE: id, remote target, route set in order, remote CSeq (§12.1.1)', () => {
    const d = Dialog.asUas(inviteWithRoutes(), 'callee', '<sip:acip@127.0.0.1:5060>', 'early');
    expect(d.id).toEqual({ callId: 'dlg-1', localTag: 'callee', remoteTag: 'caller' });
    expect(d.remoteTarget).toBe('sip:alice@10.0.0.1:5070');
    expect(d.routeSet).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>', '<sip:p3.example;lr>']);
    expect(d.remoteSeq).toBe(7);
    expect(d.localHeader).toBe('<sip:bob@127.0.0.1>;tag=callee');
  });

  it('builds the UAC side from a 2xx with the route set reversed, and loose-routes in-dialog requests (§12.1.2, §12.2.1.1)', () => {
    const inv = makeRequest('INVITE', { callId: 'dlg-2', fromTag: 'me', cseq: 3 });
    const ok = makeResponse(inv, 200, 'OK', 'them');
    ok.headers.append('Contact', '<sip:bob@10.0.0.2>');
    ok.headers.append('Record-Route', '<sip:p1.example;lr>, <sip:p2.example;lr>');
    const d = Dialog.asUac(inv, ok, '<sip:me@127.0.0.1>', 'confirmed');
    expect(d.routeSet).toEqual(['<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    const bye = d.createRequest('BYE', { via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbye' });
    expect(bye.uri).toBe('sip:bob@10.0.0.2');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    expect(bye.headers.get('CSeq')).toBe('4 BYE');
    expect(bye.headers.get('To')).toContain('tag=them');
    expect(bye.headers.get('From')).toContain('tag=me');
    expect(d.routing().nextHop).toBe('sip:p2.example;lr');
    const ack = d.createRequest('ACK', { via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKack', cseq: 3 });
    expect(ack.headers.get('CSeq')).toBe('3 ACK');
    expect(d.localSeq).toBe(4);
  });

  it('strict-routes through a route without lr: the first route becomes the Request-URI (§12.2.1.1)', () => {
    const inv = makeRequest('INVITE', { callId: 'dlg-3' });
    const ok = makeResponse(inv, 200, 'OK', 't');
    ok.headers.append('Contact', '<sip:bob@10.0.0.2>');
    ok.headers.append('Record-Route', '<sip:strict.example>');
    const d = Dialog.asUac(inv, ok, '<sip:me@127.0.0.1>', 'confirmed');
    const req = d.createRequest('BYE', { via: 'SIP/2.0/UDP h;branch=z9hG4bKx' });
    expect(req.uri).toBe('sip:strict.example');
    expect(req.headers.getAll('Route')).toEqual(['<sip:bob@10.0.0.2>']);
  });

  it('rejects out-of-order remote CSeq numbers but not ACK or CANCEL (§12.2.2)', () => {
    const d = Dialog.asUas(inviteWithRoutes(), 'callee', '<sip:acip@127.0.0.1>', 'confirmed');
    expect(d.acceptRemoteCSeq(makeRequest('BYE', { cseq: 7 }))).toBe(false);
    expect(d.acceptRemoteCSeq(makeRequest('ACK', { cseq: 7 }))).toBe(true);
    expect(d.acceptRemoteCSeq(makeRequest('BYE', { cseq: 8 }))).toBe(true);
    expect(d.acceptRemoteCSeq(makeRequest('INVITE', { cseq: 8 }))).toBe(false);
  });

  it('finds the dialog of an incoming request by Call-ID, To tag (ours) and From tag (theirs)', () => {
    const d = Dialog.asUas(inviteWithRoutes(), 'callee', '<sip:acip@127.0.0.1>', 'confirmed');
    const bye = makeRequest('BYE', { callId: 'dlg-1', fromTag: 'caller', toTag: 'callee', cseq: 8 });
    expect(dialogKeyOfIncoming(bye)).toBe(d.key);
    expect(dialogKeyOfIncoming(makeRequest('BYE', { callId: 'dlg-1', fromTag: 'caller' }))).toBeUndefined();
  });

  it('refuses an illegal state change', () => {
    const d = Dialog.asUas(inviteWithRoutes(), 'callee', '<sip:acip@127.0.0.1>', 'confirmed');
    d.transition('terminated');
    expect(() => d.transition('confirmed')).toThrow(/illegal transition/);
  });
});

describe('re-INVITE glare retry delays (§14.1)', () => {
  it('waits 2.1–4 s as Call-ID owner and 0–2 s otherwise, in 10 ms steps', () => {
    expect([glareRetryDelayMs(true, () => 0), glareRetryDelayMs(true, () => 0.999999)]).toEqual([2100, 4000]);
    expect([glareRetryDelayMs(false, () => 0), glareRetryDelayMs(false, () => 0.999999)]).toEqual([0, 2000]);
    for (let i = 0; i < 50; i++) expect(glareRetryDelayMs(false, () => i / 50) % 10).toBe(0);
  });
});
