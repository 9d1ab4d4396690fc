import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { PresenceSubscriber, refreshDelayS, type SubscribeSend } from '../../../server/sip/presence/subscriber.js';
import { presenceDocument } from '../../../server/sip/presence/presence-state.js';

const T1 = 500;
const PIDF = 'application/pidf+xml';
const BACKOFF = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0, random: () => 0.5 };

function make(expiresS = 600) {
  const clock = new FakeClock();
  const sent: (SubscribeSend & { at: number })[] = [];
  const presence: string[] = [];
  const s = new PresenceSubscriber({
    clock,
    t1: T1,
    expiresS,
    backoff: BACKOFF,
    send: (r) => sent.push({ ...r, at: clock.now() }),
    onPresence: (p) => presence.push(p),
  });
  return { clock, sent, presence, s };
}

const doc = (state: 'open' | 'busy' | 'closed') => presenceDocument(state, 'sip:studio2@example.org');

describe('an outgoing presence subscription (RFC 6665 §4.1)', () => {
  it.each([
    [600, 568],
    [3600, 3568],
    [60, 40],
    [3, 2],
  ])('refreshes a %d s subscription after %d s', (expires, at) => {
    expect(refreshDelayS(expires)).toBe(at);
  });

  it('subscribes, reads the NOTIFY body and refreshes before expiry in the same dialog', () => {
    const { clock, sent, presence, s } = make();
    s.start();
    expect(sent).toEqual([{ expiresS: 600, newDialog: true, at: 0 }]);
    s.onResponse({ status: 200, expires: 300 });
    expect(s.onNotify('active;expires=300', doc('busy'), PIDF)).toEqual({ status: 200, reason: 'OK' });
    expect(s.state).toBe('active');
    expect(presence).toEqual(['busy']);
    clock.advance(refreshDelayS(300) * 1000);
    expect(sent.at(-1)).toEqual({ expiresS: 600, newDialog: false, at: 268_000 });
    s.onResponse({ status: 200, expires: 300 });
    s.onNotify('active;expires=300', doc('open'), PIDF);
    expect(presence).toEqual(['busy', 'open']);
  });

  it('takes the shorter expires of a NOTIFY (§4.1.2.1)', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active;expires=90', doc('open'), PIDF);
    clock.advance(refreshDelayS(90) * 1000);
    expect(sent.at(-1)).toMatchObject({ newDialog: false, at: 60_000 });
  });

  it('handles a NOTIFY that overtakes the 2xx (§4.1.2.4)', () => {
    const { s } = make();
    s.start();
    s.onNotify('active', doc('open'), PIDF);
    s.onResponse({ status: 200, expires: 600 });
    expect(s.state).toBe('active');
  });

  it('retries at once with Min-Expires after a 423 (§4.1.2.1)', () => {
    const { sent, s } = make(60);
    s.start();
    s.onResponse({ status: 423, minExpires: 1800 });
    expect(sent.at(-1)).toEqual({ expiresS: 1800, newDialog: true, at: 0 });
  });

  it('gives up for good on 489 Bad Event', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 489 });
    clock.advance(3_600_000);
    expect(s.state).toBe('terminated');
    expect(s.endReason).toBe('bad-event');
    expect(sent).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('backs off, doubling, after failures and resets after a success', () => {
    const { clock, sent, s } = make();
    s.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const failedAt = clock.now();
      s.onResponse({ status: 503 });
      // Less than Timer N (32 s), which would count the unanswered retry as a failure too.
      clock.advance(20_000);
      delays.push(sent.at(-1)!.at - failedAt);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active', doc('open'), PIDF);
    const endedAt = clock.now();
    s.onNotify('terminated', undefined, undefined);
    clock.advance(20_000);
    expect(sent.at(-1)!.at - endedAt).toBe(1000);
  });

  it('honours Retry-After of a failure', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 503, retryAfter: 45 });
    clock.advance(44_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent.at(-1)).toMatchObject({ newDialog: true, at: 45_000 });
  });

  it('starts a new subscription when a refresh gets 481 (§4.1.2.2)', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active;expires=600', doc('open'), PIDF);
    clock.advance(refreshDelayS(600) * 1000);
    s.onResponse({ status: 481 });
    expect(sent.at(-1)).toMatchObject({ newDialog: true });
    expect(s.state).toBe('subscribing');
  });

  it('keeps a subscription whose refresh failed until it really expires (§4.1.2.2)', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active;expires=600', doc('open'), PIDF);
    clock.advance(refreshDelayS(600) * 1000);
    s.onResponse({ status: 500 });
    expect(s.state).toBe('active');
    clock.advance(1000);
    expect(sent.at(-1)).toMatchObject({ newDialog: false });
    s.onResponse({ status: 500 });
    clock.advance(40_000);
    expect(s.state).not.toBe('active');
  });

  it('counts a missing NOTIFY after 64·T1 as a failure (Timer N, §4.1.2.4)', () => {
    const { clock, s, sent } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    clock.advance(64 * T1);
    expect(s.state).toBe('retry-wait');
    clock.advance(BACKOFF.initialMs);
    expect(sent).toHaveLength(2);
  });

  // Rows: the reason of a terminating NOTIFY, then whether and when acip subscribes again.
  const terminations: [string, string, number | 'never'][] = [
    ['deactivated', 'terminated;reason=deactivated', 0],
    ['timeout', 'terminated;reason=timeout', 0],
    ['probation with retry-after', 'terminated;reason=probation;retry-after=20', 20_000],
    ['giveup without retry-after', 'terminated;reason=giveup', 1000],
    ['no reason', 'terminated', 1000],
    ['rejected', 'terminated;reason=rejected', 'never'],
    ['noresource', 'terminated;reason=noresource', 'never'],
    ['invariant', 'terminated;reason=invariant', 'never'],
  ];
  it.each(terminations)('after a NOTIFY terminated with %s, re-subscribes as RFC 6665 §4.1.3 says', (_name, header, after) => {
    const { clock, sent, s, presence } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active;expires=600', doc('busy'), PIDF);
    expect(s.onNotify(header, undefined, undefined).status).toBe(200);
    expect(presence.at(-1)).toBe('unknown');
    clock.advance(100_000);
    if (after === 'never') {
      expect(s.state).toBe('terminated');
      expect(sent).toHaveLength(1);
    } else {
      expect(sent[1]).toMatchObject({ newDialog: true, at: after });
    }
  });

  it.each([
    ['a NOTIFY before start', false, 'active', 481],
    ['a NOTIFY without Subscription-State', true, undefined, 400],
    ['a NOTIFY with a malformed Subscription-State', true, 'active;expires=x', 400],
  ] as const)('answers %s with %d', (_name, started, header, status) => {
    const { s } = make();
    if (started) s.start();
    expect(s.onNotify(header, undefined, undefined).status).toBe(status);
  });

  it('unsubscribes with Expires 0 on stop and is quiet afterwards', () => {
    const { clock, sent, s } = make();
    s.start();
    s.onResponse({ status: 200, expires: 600 });
    s.onNotify('active', doc('open'), PIDF);
    s.stop();
    s.stop();
    expect(sent.at(-1)).toEqual({ expiresS: 0, newDialog: false, at: 0 });
    expect(s.onNotify('terminated;reason=timeout', undefined, undefined).status).toBe(481);
    clock.advance(3_600_000);
    expect(sent).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it('sends no unsubscribe on stop before any dialog exists', () => {
    const { sent, s } = make();
    s.start();
    s.stop();
    expect(sent).toHaveLength(1);
    expect(s.state).toBe('terminated');
  });
});
