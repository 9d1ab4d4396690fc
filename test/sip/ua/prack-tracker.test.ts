import { describe, expect, it } from 'vitest';
import { PrackTracker, MAX_TRACKED_DIALOGS, type ProvisionalInfo } from '../../../server/sip/ua/prack-tracker.js';

const INVITE = { seq: 7, method: 'INVITE' };
const rel = (rseq: number, toTag = 'a', status = 180): ProvisionalInfo => ({ status, toTag, rseq, requires100rel: true });

describe('the UAC side of reliable provisional responses (RFC 3262 §4)', () => {
  // Rows: the provisionals in arrival order, and what the tracker says about each.
  const rows: [string, ProvisionalInfo[], string[]][] = [
    ['a single reliable 180 is PRACKed', [rel(10)], ['prack 10 7 INVITE']],
    ['a retransmission is discarded', [rel(10), rel(10)], ['prack 10 7 INVITE', 'discard retransmission']],
    ['the next RSeq is PRACKed in order', [rel(10), rel(11, 'a', 183)], ['prack 10 7 INVITE', 'prack 11 7 INVITE']],
    ['a gap is not PRACKed nor processed', [rel(10), rel(12)], ['prack 10 7 INVITE', 'discard out-of-order']],
    ['an older RSeq is not PRACKed', [rel(10), rel(11), rel(10)], ['prack 10 7 INVITE', 'prack 11 7 INVITE', 'discard out-of-order']],
    ['forked dialogs keep their own sequences', [rel(10, 'a'), rel(500, 'b'), rel(11, 'a'), rel(501, 'b')], ['prack 10 7 INVITE', 'prack 500 7 INVITE', 'prack 11 7 INVITE', 'prack 501 7 INVITE']],
    ['a 100 is never reliable', [rel(10, 'a', 100)], ['process']],
    ['a 180 without Require: 100rel is processed without PRACK', [{ status: 180, toTag: 'a', rseq: 3, requires100rel: false }], ['process']],
    ['a 180 with Require: 100rel but no RSeq is processed without PRACK', [{ status: 180, toTag: 'a', rseq: undefined, requires100rel: true }], ['process']],
    ['a reliable 183 without a to-tag is processed without PRACK', [{ status: 183, toTag: undefined, rseq: 4, requires100rel: true }], ['process']],
  ];
  it.each(rows)('%s', (_name, input, want) => {
    const t = new PrackTracker(INVITE);
    const got = input.map((p) => {
      const d = t.onProvisional(p);
      if (d.action === 'prack') return `prack ${d.rack.rseq} ${d.rack.cseq} ${d.rack.method}`;
      if (d.action === 'discard') return `discard ${d.why}`;
      return 'process';
    });
    expect(got).toEqual(want);
  });

  it('PRACKs nothing after the final response', () => {
    const t = new PrackTracker(INVITE);
    t.onFinal();
    t.onFinal();
    expect(t.state).toBe('completed');
    expect(t.onProvisional(rel(1))).toEqual({ action: 'discard', why: 'after-final' });
  });

  it('tracks a bounded number of early dialogs', () => {
    const t = new PrackTracker(INVITE);
    for (let i = 0; i < MAX_TRACKED_DIALOGS; i++) expect(t.onProvisional(rel(1, `tag${i}`)).action).toBe('prack');
    expect(t.onProvisional(rel(1, 'one-more'))).toEqual({ action: 'discard', why: 'too-many-dialogs' });
    expect(t.onProvisional(rel(2, 'tag0')).action).toBe('prack');
  });

  it('keeps a to-tag named __proto__ as an ordinary dialog', () => {
    const t = new PrackTracker(INVITE);
    expect(t.onProvisional(rel(5, '__proto__')).action).toBe('prack');
    expect(t.onProvisional(rel(5, '__proto__'))).toEqual({ action: 'discard', why: 'retransmission' });
  });
});
