import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { ReliableProvisionalSender, MAX_QUEUED_PROVISIONALS } from '../../../server/sip/ua/reliable-provisional.js';

const T1 = 500;
const INVITE = { seq: 314159, method: 'INVITE' };

function make(random = () => 0.25) {
  const clock = new FakeClock();
  const sent: { at: number; payload: string; rseq: number }[] = [];
  const gaveUp: number[] = [];
  const states: string[] = [];
  const s = new ReliableProvisionalSender<string>({
    clock,
    t1: T1,
    inviteCSeq: INVITE,
    random,
    transmit: (payload, rseq) => sent.push({ at: clock.now(), payload, rseq }),
    onGiveUp: (rseq) => gaveUp.push(rseq),
    onStateChange: (from, to) => states.push(`${from}->${to}`),
  });
  return { clock, sent, gaveUp, states, s };
}

describe('the UAS side of reliable provisional responses (RFC 3262 §3)', () => {
  it('retransmits at T1 doubling and gives up 64·T1 after the first transmission', () => {
    const { clock, sent, gaveUp, s } = make();
    const r = s.offer((rseq) => `180 rseq=${rseq}`, false);
    expect(r.sent).toBe(true);
    clock.advance(64 * T1 + 10_000);
    expect(sent.map((x) => x.at / T1)).toEqual([0, 1, 3, 7, 15, 31, 63]);
    expect(gaveUp).toEqual([sent[0]!.rseq]);
    expect(s.state).toBe('gave-up');
    expect(clock.pending()).toBe(0);
  });

  it('draws the first RSeq from random() within 1 .. 2^31-1 and counts up by one', () => {
    const { clock, s } = make(() => 0);
    const a = s.offer((rseq) => `180 ${rseq}`, false);
    expect(a).toEqual({ sent: true, rseq: 1 });
    expect(s.prack({ rseq: 1, cseq: INVITE.seq, method: 'INVITE' }).status).toBe(200);
    expect(s.offer((rseq) => `183 ${rseq}`, true)).toEqual({ sent: true, rseq: 2 });
    clock.advance(1);
  });

  // rack.rseq is relative to the RSeq that was sent.
  const pracks: [string, number, { rseq: number; cseq: number; method: string }][] = [
    ['the matching RAck', 200, { rseq: 0, cseq: INVITE.seq, method: 'INVITE' }],
    ['a wrong RSeq', 481, { rseq: 1, cseq: INVITE.seq, method: 'INVITE' }],
    ['a wrong CSeq number', 481, { rseq: 0, cseq: INVITE.seq + 1, method: 'INVITE' }],
    ['a wrong method', 481, { rseq: 0, cseq: INVITE.seq, method: 'UPDATE' }],
  ];
  it.each(pracks)('answers a PRACK with %s with %d (§7.2)', (_what, status, rack) => {
    const { clock, sent, s } = make();
    s.offer((rseq) => `180 ${rseq}`, false);
    const rseq = sent[0]!.rseq;
    const verdict = s.prack({ ...rack, rseq: rseq + rack.rseq });
    expect(verdict.status).toBe(status);
    clock.advance(3 * T1);
    // A matched PRACK stops the retransmissions (at T1 and 3·T1); an unmatched one does not.
    expect(sent.length).toBe(status === 200 ? 1 : 3);
  });

  it('answers a second PRACK for an acknowledged response with 481', () => {
    const { sent, s } = make();
    s.offer((rseq) => `180 ${rseq}`, false);
    const rack = { rseq: sent[0]!.rseq, cseq: INVITE.seq, method: 'INVITE' };
    expect(s.prack(rack).status).toBe(200);
    expect(s.prack(rack).status).toBe(481);
  });

  it('holds a second reliable provisional until the first is acknowledged', () => {
    const { clock, sent, s, states } = make();
    s.offer((rseq) => `180 ${rseq}`, false);
    const second = s.offer((rseq) => `183 ${rseq}`, true);
    expect(second).toMatchObject({ sent: false, queued: true });
    clock.advance(T1 / 2);
    expect(sent.map((x) => x.payload)).toEqual([`180 ${sent[0]!.rseq}`]);
    s.prack({ rseq: sent[0]!.rseq, cseq: INVITE.seq, method: 'INVITE' });
    expect(sent.at(-1)!.payload).toBe(`183 ${sent[0]!.rseq + 1}`);
    expect(sent.at(-1)!.at).toBe(T1 / 2);
    // The second response gets its own schedule, starting again at T1.
    clock.advance(T1);
    expect(sent.at(-1)!.at).toBe(T1 / 2 + T1);
    expect(states).toEqual(['idle->awaiting-prack', 'awaiting-prack->awaiting-prack']);
  });

  it('refuses more than the bounded queue of waiting provisionals', () => {
    const { s } = make();
    s.offer(() => 'first', false);
    for (let i = 0; i < MAX_QUEUED_PROVISIONALS; i++) expect(s.offer(() => `q${i}`, false)).toMatchObject({ queued: true });
    expect(s.offer(() => 'one too many', false)).toEqual({ sent: false, refused: 'queue-full' });
  });

  const finals: [string, boolean, number, boolean][] = [
    ['a 2xx while a 183 with SDP waits', true, 200, false],
    ['a 2xx while a 180 without SDP waits', false, 200, true],
    ['a 486 while a 183 with SDP waits', true, 486, true],
  ];
  it.each(finals)('decides whether %s may be sent', (_what, hasSdp, status, may) => {
    const { s } = make();
    s.offer(() => 'p', hasSdp);
    expect(s.maySendFinal(status)).toBe(may);
  });

  it('stops every timer when closed, and refuses offers afterwards', () => {
    const { clock, sent, s } = make();
    s.offer(() => 'p', false);
    s.close();
    s.close();
    clock.advance(64 * T1);
    expect(sent.length).toBe(1);
    expect(clock.pending()).toBe(0);
    expect(s.offer(() => 'q', false)).toEqual({ sent: false, refused: 'closed' });
    expect(s.prack({ rseq: sent[0]!.rseq, cseq: INVITE.seq, method: 'INVITE' }).status).toBe(481);
  });
});
