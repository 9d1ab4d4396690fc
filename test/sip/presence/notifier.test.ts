import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { PresenceNotifier, type NotifyContent, type SubscribeRequest, type NotifierOptions } from '../../../server/sip/presence/notifier.js';
import { parsePidf } from '../../../server/sip/presence/pidf.js';
import { presenceFromPidf } from '../../../server/sip/presence/presence-state.js';

const LIMITS = { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600, maxPerSource: 2, maxTotal: 3, retryAfterS: 30 };

function make(extra: Partial<NotifierOptions> = {}) {
  const clock = new FakeClock();
  const notifies: (NotifyContent & { at: number })[] = [];
  const n = new PresenceNotifier({
    clock,
    entity: 'sip:acip@example.org',
    initialState: 'open',
    limits: LIMITS,
    sendNotify: (c) => notifies.push({ ...c, at: clock.now() }),
    ...extra,
  });
  return { clock, notifies, n };
}

const req = (over: Partial<SubscribeRequest> = {}): SubscribeRequest => ({
  key: 'dlg-1',
  source: '127.0.0.1',
  subscriber: 'sip:watcher@example.org',
  event: 'presence',
  expires: '600',
  accept: [],
  inDialog: false,
  ...over,
});

const stateOf = (c: NotifyContent): string => (c.body ? presenceFromPidf(parsePidf(c.body.text)) : 'no body');

describe('the presence notifier (RFC 6665 §4.2, RFC 3856)', () => {
  // Rows: the SUBSCRIBE, then the response status and the fields it must carry.
  const verdicts: [string, Partial<SubscribeRequest>, Record<string, unknown>][] = [
    ['accepts a presence SUBSCRIBE and grants its Expires', {}, { status: 200, expires: 600 }],
    ['grants the default 3600 s without Expires (RFC 3856 §6.4)', { expires: undefined }, { status: 200, expires: 3600 }],
    ['lowers an Expires above the maximum', { expires: '86400' }, { status: 200, expires: 3600 }],
    ['answers 423 with Min-Expires below the minimum (§4.2.1.1)', { expires: '10' }, { status: 423, minExpires: 60 }],
    ['answers 489 with Allow-Events for another package (§4.2.1.1)', { event: 'dialog' }, { status: 489, allowEvents: 'presence' }],
    ['answers 489 for a template package', { event: 'presence.winfo' }, { status: 489 }],
    ['answers 400 without an Event header', { event: undefined }, { status: 400 }],
    ['answers 400 naming a malformed Event', { event: 'pres ence' }, { status: 400 }],
    ['answers 400 naming a malformed Expires', { expires: 'soon' }, { status: 400 }],
    ['answers 406 when Accept excludes PIDF (RFC 3856 §6.7)', { accept: ['application/xpidf+xml'] }, { status: 406 }],
    ['accepts Accept: application/*', { accept: ['application/*'] }, { status: 200 }],
    ['answers 481 to an in-dialog SUBSCRIBE it does not know', { inDialog: true }, { status: 481 }],
  ];
  it.each(verdicts)('%s', (_name, over, want) => {
    const { n } = make();
    expect(n.onSubscribe(req(over))).toMatchObject(want);
  });

  it('sends a NOTIFY with the current presence right after accepting (§4.2.1.2)', () => {
    const { n, notifies } = make();
    n.onSubscribe(req());
    expect(notifies).toHaveLength(1);
    expect(notifies[0]).toMatchObject({ key: 'dlg-1', subscriptionState: 'active;expires=600', event: 'presence', terminal: false });
    expect(notifies[0]!.body?.contentType).toBe('application/pidf+xml');
    expect(stateOf(notifies[0]!)).toBe('open');
  });

  it('notifies every active watcher when the presence changes, and not when it stays', () => {
    const { n, notifies } = make();
    n.onSubscribe(req({ key: 'a' }));
    n.onSubscribe(req({ key: 'b', source: '127.0.0.2' }));
    notifies.length = 0;
    n.setPresence('busy');
    n.setPresence('busy');
    expect(notifies.map((c) => [c.key, stateOf(c)])).toEqual([
      ['a', 'busy'],
      ['b', 'busy'],
    ]);
  });

  it('terminates with reason=timeout when not refreshed, and a refresh pushes the expiry back', () => {
    const { n, notifies, clock } = make();
    n.onSubscribe(req({ expires: '120' }));
    clock.advance(100_000);
    expect(n.onSubscribe(req({ expires: '120', inDialog: true }))).toMatchObject({ status: 200, expires: 120 });
    expect(notifies.at(-1)).toMatchObject({ subscriptionState: 'active;expires=120' });
    clock.advance(119_000);
    expect(n.stateOf('dlg-1')).toBe('active');
    clock.advance(1_000);
    expect(notifies.at(-1)).toMatchObject({ subscriptionState: 'terminated;reason=timeout', terminal: true, at: 220_000 });
    expect(n.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('ends the subscription on Expires: 0 with a final NOTIFY (§4.2.1.4)', () => {
    const { n, notifies } = make();
    n.onSubscribe(req());
    expect(n.onSubscribe(req({ expires: '0', inDialog: true }))).toMatchObject({ status: 200, expires: 0 });
    expect(notifies.at(-1)).toMatchObject({ subscriptionState: 'terminated;reason=timeout', terminal: true });
    expect(n.onSubscribe(req({ inDialog: true })).status).toBe(481);
  });

  it('answers a fetch (Expires: 0 outside a dialog) with one NOTIFY and keeps nothing (§4.4.3)', () => {
    const { n, notifies } = make();
    expect(n.onSubscribe(req({ expires: '0' }))).toMatchObject({ status: 200, expires: 0 });
    expect(notifies).toHaveLength(1);
    expect(stateOf(notifies[0]!)).toBe('open');
    expect(n.size).toBe(0);
  });

  it.each([481, 408])('forgets a subscription whose NOTIFY got %d (§4.2.2)', (status) => {
    const { n } = make();
    n.onSubscribe(req());
    n.onNotifyResult('dlg-1', status);
    expect(n.size).toBe(0);
  });

  it('keeps a subscription whose NOTIFY got a 500', () => {
    const { n } = make();
    n.onSubscribe(req());
    n.onNotifyResult('dlg-1', 500);
    expect(n.size).toBe(1);
  });

  it('bounds subscriptions per source and in total with 503 and Retry-After', () => {
    const { n } = make();
    expect(n.onSubscribe(req({ key: '1' })).status).toBe(200);
    expect(n.onSubscribe(req({ key: '2' })).status).toBe(200);
    expect(n.onSubscribe(req({ key: '3' }))).toMatchObject({ status: 503, retryAfter: 30 });
    expect(n.onSubscribe(req({ key: '4', source: '127.0.0.9' })).status).toBe(200);
    expect(n.onSubscribe(req({ key: '5', source: '127.0.0.10' }))).toMatchObject({ status: 503 });
    // A refresh of a known subscription is never refused by the bounds.
    expect(n.onSubscribe(req({ key: '1', inDialog: true })).status).toBe(200);
    n.onSubscribe(req({ key: '1', inDialog: true, expires: '0' }));
    expect(n.onSubscribe(req({ key: '6' })).status).toBe(200);
  });

  it('keeps a watcher pending without presence until approved (RFC 3856 §6.6)', () => {
    const { n, notifies } = make({ authorize: (who) => (who.includes('stranger') ? 'pending' : who.includes('blocked') ? 'rejected' : 'active') });
    expect(n.onSubscribe(req({ subscriber: 'sip:blocked@x' })).status).toBe(403);
    n.onSubscribe(req({ subscriber: 'sip:stranger@x' }));
    expect(notifies.at(-1)).toMatchObject({ subscriptionState: 'pending;expires=600' });
    expect(notifies.at(-1)!.body).toBeUndefined();
    n.setPresence('busy');
    expect(notifies).toHaveLength(1);
    expect(n.approve('dlg-1')).toBe(true);
    expect(stateOf(notifies.at(-1)!)).toBe('busy');
    expect(n.approve('dlg-1')).toBe(false);
  });

  it('sends every watcher a final NOTIFY on close and refuses new subscriptions', () => {
    const { n, notifies, clock } = make();
    n.onSubscribe(req({ key: 'a' }));
    n.onSubscribe(req({ key: 'b', source: 'other' }));
    n.close();
    n.close();
    expect(notifies.filter((c) => c.terminal).map((c) => c.subscriptionState)).toEqual(['terminated;reason=deactivated', 'terminated;reason=deactivated']);
    expect(n.onSubscribe(req({ key: 'c' })).status).toBe(503);
    expect(clock.pending()).toBe(0);
  });
});
