import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipTimers } from '../../../server/sip/transaction/timers.js';
import { TransactionLayer } from '../../../server/sip/transaction/transaction-layer.js';
import { InviteServerTransaction } from '../../../server/sip/transaction/invite-server-transaction.js';
import { silentSipLogger } from '../../../server/sip/transport/sip-logger.js';
import { FakeChannel, makeRequest, makeResponse } from '../../helpers/sip-test-messages.js';

function layer(clock: FakeClock) {
  return new TransactionLayer({ clock, timers: new SipTimers(), logger: silentSipLogger });
}

describe('transaction matching (§17.1.3, §17.2.3)', () => {
  it('matches a response to its client transaction by branch and CSeq method, and keeps CANCEL apart from INVITE', () => {
    const clock = new FakeClock();
    const l = layer(clock);
    const ch = new FakeChannel(clock);
    const got: string[] = [];
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKone' });
    const cancel = makeRequest('CANCEL', { branch: 'z9hG4bKone' });
    const user = (tag: string) => ({
      onResponse: (r: { status: number }) => got.push(`${tag} ${r.status}`),
      onTimeout: () => got.push(`${tag} timeout`),
      onTransportError: () => got.push(`${tag} error`),
    });
    l.sendRequest(inv, ch, user('invite'));
    l.sendRequest(cancel, ch, user('cancel'));
    expect(l.receiveResponse(makeResponse(cancel, 200, 'OK'))).toBe(true);
    expect(l.receiveResponse(makeResponse(inv, 487, 'Request Terminated', 'x'))).toBe(true);
    expect(l.receiveResponse(makeResponse(makeRequest('INVITE', { branch: 'z9hG4bKother' }), 200))).toBe(false);
    expect(got).toEqual(['cancel 200', 'invite 487']);
  });

  it('matches a retransmitted request and a non-2xx ACK by branch and sent-by, but not from another sent-by', () => {
    const clock = new FakeClock();
    const l = layer(clock);
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.1:5060' });
    const tx = l.createServerTransaction(inv, new FakeChannel(clock));
    expect(tx).toBeInstanceOf(InviteServerTransaction);
    expect(l.matchRequest(makeRequest('INVITE', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.1:5060' }))).toBe(tx);
    expect(l.matchRequest(makeRequest('ACK', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.1:5060', cseqMethod: 'ACK' }))).toBe(tx);
    expect(l.matchRequest(makeRequest('INVITE', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.2:5060' }))).toBeUndefined();
    expect(l.matchRequest(makeRequest('CANCEL', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.1:5060' }))).toBeUndefined();
    expect(l.findInviteForCancel(makeRequest('CANCEL', { branch: 'z9hG4bKsrv', sentBy: '10.0.0.1:5060' }))).toBe(tx);
  });

  it('falls back to the RFC 2543 fields when the branch lacks the magic cookie, using our To tag for the ACK', () => {
    const clock = new FakeClock();
    const l = layer(clock);
    const inv = makeRequest('INVITE', { branch: 'oldstyle', callId: 'legacy' });
    const tx = l.createServerTransaction(inv, new FakeChannel(clock)) as InviteServerTransaction;
    expect(l.matchRequest(makeRequest('INVITE', { branch: 'oldstyle', callId: 'legacy' }))).toBe(tx);
    expect(l.matchRequest(makeRequest('INVITE', { branch: 'oldstyle', callId: 'other' }))).toBeUndefined();
    expect(l.matchRequest(makeRequest('INVITE', { branch: 'oldstyle', callId: 'legacy', cseq: 2 }))).toBeUndefined();
    tx.respond(makeResponse(inv, 486, 'Busy Here', 'ourtag'));
    const ack = (toTag: string) => makeRequest('ACK', { branch: 'oldstyle', callId: 'legacy', cseqMethod: 'ACK', toTag });
    expect(l.matchRequest(ack('wrongtag'))).toBeUndefined();
    expect(l.matchRequest(ack('ourtag'))).toBe(tx);
    expect(l.findInviteForCancel(makeRequest('CANCEL', { branch: 'oldstyle', callId: 'legacy' }))).toBe(tx);
  });

  it('forgets transactions when they terminate', () => {
    const clock = new FakeClock();
    const l = layer(clock);
    const req = makeRequest('OPTIONS');
    const tx = l.createServerTransaction(req, new FakeChannel(clock));
    tx!.respond(makeResponse(req, 200, 'OK'));
    expect(l.serverCount).toBe(1);
    clock.advance(32_000);
    expect(l.serverCount).toBe(0);
    expect(l.matchRequest(req)).toBeUndefined();
  });
});
