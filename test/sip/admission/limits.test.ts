import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { RateLimiter } from '../../../server/sip/admission/rate-limiter.js';
import { AuthLockout } from '../../../server/sip/admission/auth-lockout.js';
import { BoundedMap } from '../../../server/sip/admission/bounded-map.js';

describe('per-source rate limit', () => {
  function limiter(clock: FakeClock, maxSources = 100) {
    const events: string[] = [];
    const l = new RateLimiter(
      clock,
      { ratePerS: 2, burst: 3, blockMs: 10_000, maxSources },
      { onBlocked: (s) => events.push(`blocked ${s}`), onUnblocked: (s) => events.push(`unblocked ${s}`) },
    );
    return { l, events };
  }

  it('lets a burst through, then blocks the source on the first request over it', () => {
    const clock = new FakeClock();
    const { l, events } = limiter(clock);
    expect([1, 2, 3, 4].map(() => l.take('192.0.2.1'))).toEqual(['pass', 'pass', 'pass', 'blocked-now']);
    expect(l.take('192.0.2.1')).toBe('blocked');
    expect(l.take('192.0.2.2')).toBe('pass');
    expect(events).toEqual(['blocked 192.0.2.1']);
    expect(l.blockedCount).toBe(1);
  });

  it('refills tokens at the configured rate', () => {
    const clock = new FakeClock();
    const { l } = limiter(clock);
    for (let i = 0; i < 3; i++) l.take('s');
    clock.advance(500); // one token at 2/s
    expect(l.take('s')).toBe('pass');
    expect(l.take('s')).toBe('blocked-now');
  });

  it('keeps a source blocked while it keeps sending and unblocks it a block period after its last request', () => {
    const clock = new FakeClock();
    const { l, events } = limiter(clock);
    for (let i = 0; i < 4; i++) l.take('s');
    clock.advance(9_000);
    expect(l.take('s')).toBe('blocked'); // pushes the end to 19 s
    clock.advance(9_000);
    expect(l.isBlocked('s')).toBe(true);
    clock.advance(1_000);
    expect(l.isBlocked('s')).toBe(false);
    expect(events).toEqual(['blocked s', 'unblocked s']);
    expect(l.take('s')).toBe('pass');
  });

  it('forgets the least recently seen source beyond its cap, ending its block', () => {
    const clock = new FakeClock();
    const { l, events } = limiter(clock, 2);
    for (let i = 0; i < 4; i++) l.take('a');
    l.take('b');
    l.take('c');
    expect(events).toEqual(['blocked a', 'unblocked a']);
    expect(clock.pending()).toBe(0);
  });

  it('cancels its timers on close', () => {
    const clock = new FakeClock();
    const { l } = limiter(clock);
    for (let i = 0; i < 4; i++) l.take('a');
    l.close();
    expect(clock.pending()).toBe(0);
  });
});

describe('failed-authentication lockout', () => {
  const opts = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000, maxEntries: 100 };

  it('locks a source and user out on the last allowed failure, for the lockout period', () => {
    const clock = new FakeClock();
    const lo = new AuthLockout(clock, opts);
    expect([lo.fail('s', 'u'), lo.fail('s', 'u'), lo.fail('s', 'u')]).toEqual([false, false, true]);
    expect(lo.isLocked('s', 'u')).toBe(true);
    expect(lo.isLocked('other', 'u')).toBe(false);
    expect(lo.isLocked('s', 'other')).toBe(false);
    clock.advance(299_999);
    expect(lo.isLocked('s', 'u')).toBe(true);
    clock.advance(1);
    expect(lo.isLocked('s', 'u')).toBe(false);
    expect(lo.fail('s', 'u')).toBe(false); // counting starts again
  });

  it('forgets failures older than the window', () => {
    const clock = new FakeClock();
    const lo = new AuthLockout(clock, opts);
    lo.fail('s', 'u');
    lo.fail('s', 'u');
    clock.advance(60_001);
    expect(lo.fail('s', 'u')).toBe(false);
  });

  it('clears the failures of a pair that then authenticates', () => {
    const clock = new FakeClock();
    const lo = new AuthLockout(clock, opts);
    lo.fail('s', 'u');
    lo.fail('s', 'u');
    lo.succeed('s', 'u');
    expect(lo.fail('s', 'u')).toBe(false);
  });
});

describe('bounded map', () => {
  it('evicts the least recently used entry beyond its cap', () => {
    const evicted: string[] = [];
    const m = new BoundedMap<string, number>(2, (k) => evicted.push(k));
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    m.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect([...m.entries()].map(([k]) => k)).toEqual(['a', 'c']);
  });
});
