import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipTimers } from '../../../server/sip/transaction/timers.js';
import { InviteClientTransaction } from '../../../server/sip/transaction/invite-client-transaction.js';
import { NonInviteClientTransaction } from '../../../server/sip/transaction/non-invite-client-transaction.js';
import { InviteServerTransaction } from '../../../server/sip/transaction/invite-server-transaction.js';
import { NonInviteServerTransaction } from '../../../server/sip/transaction/non-invite-server-transaction.js';
import type { ClientTransactionUser, TransactionEnv } from '../../../server/sip/transaction/transaction.js';
import { silentSipLogger } from '../../../server/sip/transport/sip-logger.js';
import type { SipResponse } from '../../../server/sip/grammar/message.js';
import { FakeChannel, isRequest, isStatus, makeRequest, makeResponse } from '../../helpers/sip-test-messages.js';

function env(clock: FakeClock): TransactionEnv {
  return { clock, timers: new SipTimers(), logger: silentSipLogger };
}

function recordingUser() {
  const log: string[] = [];
  const responses: SipResponse[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => {
      responses.push(r);
      log.push(`response ${r.status}`);
    },
    onTimeout: () => log.push('timeout'),
    onTransportError: () => log.push('transport-error'),
    onTerminated: () => log.push('terminated'),
  };
  return { log, responses, user };
}

describe('the SIP timer table', () => {
  it('derives every timer from T1, T2 and T4 as RFC 3261 Table 4 and RFC 6026 say', () => {
    const t = new SipTimers();
    expect([t.aInitial, t.b, t.d(false), t.d(true), t.eInitial, t.f, t.gInitial, t.h]).toEqual([
      500, 32000, 32000, 0, 500, 32000, 500, 32000,
    ]);
    expect([t.i(false), t.i(true), t.j(false), t.j(true), t.k(false), t.k(true), t.l, t.m]).toEqual([
      5000, 0, 32000, 0, 5000, 0, 32000, 32000,
    ]);
    expect([t.nextA(500), t.nextA(16000), t.nextE(2000), t.nextE(4000), t.nextG(2000), t.nextG(4000)]).toEqual([
      1000, 32000, 4000, 4000, 4000, 4000,
    ]);
    const fast = new SipTimers({ t1: 100, t2: 400, t4: 1000 });
    expect([fast.b, fast.d(false), fast.k(false), fast.nextE(400)]).toEqual([6400, 32000, 1000, 400]);
  });

  it('holds a 100 Trying back for half of the 200 ms of §17.2.1, and at most T1/5', () => {
    expect([new SipTimers().trying, new SipTimers({ t1: 100 }).trying, new SipTimers({ t1: 2000 }).trying]).toEqual([100, 20, 100]);
  });
});

describe('the 100 Trying of an INVITE server transaction (§17.2.1)', () => {
  // [what the TU and the caller do (ms: event), the responses sent in the first second (ms:status)]
  const rows: [string, [number, 'answer' | 'ring' | 'refuse' | 'retransmit'][], string[]][] = [
    ['a TU that answers within the hold sends only its 200', [[40, 'answer']], ['40:200']],
    ['a TU that refuses at once sends only its 503 (and its Timer G retransmission)', [[0, 'refuse']], ['0:503', '500:503']],
    ['a TU that rings within the hold sends only its 180, then its 200', [[10, 'ring'], [300, 'answer']], ['10:180', '300:200']],
    ['a TU that answers late lets the 100 go at 100 ms, before the caller retransmits', [[250, 'answer']], ['100:100', '250:200']],
    ['an INVITE retransmission during the hold gets the 100 at once, and only once', [[60, 'retransmit'], [250, 'answer']], ['60:100', '250:200']],
    ['a retransmission after the 100 gets the 100 again', [[500, 'retransmit'], [700, 'answer']], ['100:100', '500:100', '700:200']],
  ];
  for (const [name, script, sent] of rows) {
    it(name, () => {
      const clock = new FakeClock();
      const ch = new FakeChannel(clock, false);
      const inv = makeRequest('INVITE');
      const tx = new InviteServerTransaction('k', inv, ch, env(clock));
      tx.tryingUnlessAnswered(makeResponse(inv, 100, 'Trying'));
      for (const [at, what] of script) {
        clock.advance(at - clock.now());
        if (what === 'answer') tx.respond(makeResponse(inv, 200, 'OK', 't'));
        else if (what === 'ring') tx.respond(makeResponse(inv, 180, 'Ringing', 't'));
        else if (what === 'refuse') tx.respond(makeResponse(inv, 503, 'Service Unavailable', 't'));
        else tx.receiveRequest(inv);
      }
      clock.advance(999 - clock.now());
      expect(ch.sent.map((s) => `${s.at}:${s.msg.kind === 'response' ? s.msg.status : ''}`)).toEqual(sent);
    });
  }
});

describe('the INVITE client transaction (§17.1.1)', () => {
  it('retransmits the INVITE over UDP on Timer A at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and times out on Timer B at 32 s', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock, false);
    const u = recordingUser();
    const tx = new InviteClientTransaction('k', makeRequest('INVITE'), ch, env(clock), u.user);
    tx.start();
    clock.advance(40_000);
    expect(ch.times(isRequest('INVITE'))).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(u.log).toEqual(['timeout', 'terminated']);
    expect(tx.state).toBe('terminated');
    expect(clock.pending()).toBe(0);
  });

  it('sends the INVITE once over TCP and still times out on Timer B', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock, true);
    const u = recordingUser();
    const tx = new InviteClientTransaction('k', makeRequest('INVITE'), ch, env(clock), u.user);
    tx.start();
    clock.advance(31_999);
    expect(u.log).toEqual([]);
    clock.advance(1);
    expect(ch.times()).toEqual([0]);
    expect(u.log).toEqual(['timeout', 'terminated']);
  });

  it('stops retransmitting after a provisional response and waits in Proceeding', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const inv = makeRequest('INVITE');
    const tx = new InviteClientTransaction('k', inv, ch, env(clock), u.user);
    tx.start();
    clock.advance(700);
    tx.receiveResponse(makeResponse(inv, 180, 'Ringing', 'b'));
    clock.advance(60_000);
    expect(ch.times()).toEqual([0, 500]);
    expect(tx.state).toBe('proceeding');
    expect(u.log).toEqual(['response 180']);
  });

  it('ACKs a non-2xx final response itself, re-ACKs its retransmissions, and ends on Timer D after 32 s', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKabc' });
    inv.headers.append('Route', '<sip:proxy.example;lr>');
    const tx = new InviteClientTransaction('k', inv, ch, env(clock), u.user);
    tx.start();
    clock.advance(100);
    const busy = makeResponse(inv, 486, 'Busy Here', 'totag9');
    tx.receiveResponse(busy);
    clock.advance(1000);
    tx.receiveResponse(busy);
    const acks = ch.sent.filter((s) => isRequest('ACK')(s.msg));
    expect(acks.map((a) => a.at)).toEqual([100, 1100]);
    const ack = acks[0]!.msg;
    expect(ack.kind === 'request' && ack.uri).toBe(inv.uri);
    expect(ack.headers.get('Via')).toBe(inv.headers.get('Via'));
    expect(ack.headers.get('To')).toContain('tag=totag9');
    expect(ack.headers.get('CSeq')).toBe('1 ACK');
    expect(ack.headers.get('Route')).toBe('<sip:proxy.example;lr>');
    expect(u.log).toEqual(['response 486']);
    clock.advance(31_999 - 1000);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('passes a 2xx and its retransmissions to the TU in Accepted and ends on Timer M (RFC 6026)', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const inv = makeRequest('INVITE');
    const tx = new InviteClientTransaction('k', inv, ch, env(clock), u.user);
    tx.start();
    const ok = makeResponse(inv, 200, 'OK', 'b');
    tx.receiveResponse(ok);
    expect(tx.state).toBe('accepted');
    clock.advance(500);
    tx.receiveResponse(ok);
    expect(u.log).toEqual(['response 200', 'response 200']);
    expect(ch.times(isRequest('ACK'))).toEqual([]);
    clock.advance(31_500);
    expect(tx.state).toBe('terminated');
    expect(ch.times(isRequest('INVITE'))).toEqual([0]);
  });

  it('reports a transport failure and terminates', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    ch.fail = true;
    const u = recordingUser();
    const tx = new InviteClientTransaction('k', makeRequest('INVITE'), ch, env(clock), u.user);
    tx.start();
    expect(u.log).toEqual(['transport-error', 'terminated']);
    expect(tx.state).toBe('terminated');
    expect(clock.pending()).toBe(0);
  });
});

describe('the non-INVITE client transaction (§17.1.2)', () => {
  it('retransmits on Timer E doubling up to T2 and times out on Timer F at 32 s', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const tx = new NonInviteClientTransaction('k', makeRequest('OPTIONS'), ch, env(clock), u.user);
    tx.start();
    clock.advance(40_000);
    expect(ch.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(u.log).toEqual(['timeout', 'terminated']);
  });

  it('after a provisional response lets the pending Timer E fire and then retransmits every T2', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const req = makeRequest('REGISTER');
    const tx = new NonInviteClientTransaction('k', req, ch, env(clock), u.user);
    tx.start();
    clock.advance(600);
    tx.receiveResponse(makeResponse(req, 100, 'Trying'));
    expect(tx.state).toBe('proceeding');
    clock.advance(12_000 - 600);
    expect(ch.times()).toEqual([0, 500, 1500, 5500, 9500]);
  });

  it('stays Completed for Timer K (T4) over UDP, absorbing retransmitted responses', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const u = recordingUser();
    const req = makeRequest('BYE');
    const tx = new NonInviteClientTransaction('k', req, ch, env(clock), u.user);
    tx.start();
    tx.receiveResponse(makeResponse(req, 200, 'OK'));
    tx.receiveResponse(makeResponse(req, 200, 'OK'));
    expect(u.log).toEqual(['response 200']);
    clock.advance(4_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(ch.times()).toEqual([0]);
  });

  it('terminates at once after the final response over TCP (Timer K = 0)', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock, true);
    const u = recordingUser();
    const req = makeRequest('BYE');
    const tx = new NonInviteClientTransaction('k', req, ch, env(clock), u.user);
    tx.start();
    tx.receiveResponse(makeResponse(req, 200, 'OK'));
    expect(tx.state).toBe('terminated');
    expect(u.log).toEqual(['response 200', 'terminated']);
    expect(clock.pending()).toBe(0);
  });
});

describe('the INVITE server transaction (§17.2.1)', () => {
  it('retransmits a non-2xx final response on Timer G up to T2 and gives up on Timer H at 32 s', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const inv = makeRequest('INVITE');
    const tx = new InviteServerTransaction('k', inv, ch, env(clock));
    const log: string[] = [];
    tx.user = { onTimeout: () => log.push('timeout'), onTerminated: () => log.push('terminated') };
    tx.respond(makeResponse(inv, 486, 'Busy Here', 't'));
    clock.advance(40_000);
    expect(ch.times(isStatus(486))).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log).toEqual(['timeout', 'terminated']);
  });

  it('stops Timer G on the ACK, absorbs ACK retransmissions, and ends on Timer I (T4)', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const inv = makeRequest('INVITE');
    const tx = new InviteServerTransaction('k', inv, ch, env(clock));
    tx.respond(makeResponse(inv, 100, 'Trying'));
    tx.receiveRequest(inv);
    tx.respond(makeResponse(inv, 603, 'Decline', 't'));
    clock.advance(2000);
    tx.receiveRequest(makeRequest('ACK', { cseqMethod: 'ACK', toTag: 't' }));
    expect(tx.state).toBe('confirmed');
    tx.receiveRequest(makeRequest('ACK', { cseqMethod: 'ACK', toTag: 't' }));
    clock.advance(4_999);
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(ch.sent.map((s) => `${s.at}:${s.msg.kind === 'response' ? s.msg.status : ''}`)).toEqual([
      '0:100',
      '0:100',
      '0:603',
      '500:603',
      '1500:603',
    ]);
  });

  it('does not retransmit the final response over TCP and answers retransmitted INVITEs from Completed', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock, true);
    const inv = makeRequest('INVITE');
    const tx = new InviteServerTransaction('k', inv, ch, env(clock));
    tx.respond(makeResponse(inv, 486, 'Busy Here', 't'));
    clock.advance(10_000);
    tx.receiveRequest(inv);
    expect(ch.times()).toEqual([0, 10_000]);
    clock.advance(22_000);
    expect(tx.state).toBe('terminated');
  });

  it('in Accepted sends the TU’s 2xx retransmissions, absorbs INVITE retransmissions, hands the ACK to the TU, and ends on Timer L', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const inv = makeRequest('INVITE');
    const tx = new InviteServerTransaction('k', inv, ch, env(clock));
    const acks: string[] = [];
    tx.user = { onAck: (a) => acks.push(a.method) };
    const ok = makeResponse(inv, 200, 'OK', 't');
    tx.respond(ok);
    expect(tx.state).toBe('accepted');
    clock.advance(500);
    tx.respond(ok);
    tx.receiveRequest(inv);
    tx.receiveRequest(makeRequest('ACK', { cseqMethod: 'ACK', toTag: 't' }));
    expect(acks).toEqual(['ACK']);
    expect(ch.times()).toEqual([0, 500]);
    clock.advance(31_499);
    expect(tx.state).toBe('accepted');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('throws on an illegal state transition', () => {
    const clock = new FakeClock();
    const tx = new InviteServerTransaction('k', makeRequest('INVITE'), new FakeChannel(clock), env(clock));
    tx.terminate();
    expect(() => (tx as unknown as { transition(s: string): void }).transition('completed')).toThrow(/illegal transition/);
  });
});

describe('the non-INVITE server transaction (§17.2.2)', () => {
  it('drops retransmissions in Trying, resends the last response afterwards, and ends on Timer J over UDP', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock);
    const req = makeRequest('OPTIONS');
    const tx = new NonInviteServerTransaction('k', req, ch, env(clock));
    tx.receiveRequest(req);
    expect(ch.sent).toHaveLength(0);
    tx.respond(makeResponse(req, 200, 'OK'));
    clock.advance(1000);
    tx.receiveRequest(req);
    expect(ch.times()).toEqual([0, 1000]);
    clock.advance(30_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('terminates at once over TCP (Timer J = 0)', () => {
    const clock = new FakeClock();
    const ch = new FakeChannel(clock, true);
    const req = makeRequest('OPTIONS');
    const tx = new NonInviteServerTransaction('k', req, ch, env(clock));
    tx.respond(makeResponse(req, 200, 'OK'));
    expect(tx.state).toBe('terminated');
  });
});
