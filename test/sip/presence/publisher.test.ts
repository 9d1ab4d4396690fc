import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { PresencePublisher, type PublishSend } from '../../../server/sip/presence/publisher.js';
import { parsePidf } from '../../../server/sip/presence/pidf.js';
import { presenceFromPidf } from '../../../server/sip/presence/presence-state.js';
import { refreshDelayS } from '../../../server/sip/presence/subscriber.js';

const BACKOFF = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0, random: () => 0.5 };

function make() {
  const clock = new FakeClock();
  const sent: (PublishSend & { at: number })[] = [];
  const p = new PresencePublisher({ clock, entity: 'sip:acip@example.org', expiresS: 3600, backoff: BACKOFF, send: (r) => sent.push({ ...r, at: clock.now() }) });
  return { clock, sent, p };
}

/** What a PUBLISH was: initial (body, no If-Match), refresh (If-Match, no body), modify (both), remove (Expires 0). */
const kind = (r: PublishSend): string => {
  if (r.expiresS === 0) return `remove ${r.ifMatch}`;
  if (r.ifMatch === undefined) return `initial ${presenceFromPidf(parsePidf(r.body!))}`;
  return r.body === undefined ? `refresh ${r.ifMatch}` : `modify ${r.ifMatch} ${presenceFromPidf(parsePidf(r.body))}`;
};

describe('publishing presence (RFC 3903)', () => {
  it('publishes, refreshes with the entity tag before expiry, and modifies on a change', () => {
    const { clock, sent, p } = make();
    p.start('open');
    p.onResponse({ status: 200, etag: 'e1', expires: 600 });
    clock.advance(refreshDelayS(600) * 1000);
    p.onResponse({ status: 200, etag: 'e2', expires: 600 });
    p.setPresence('busy');
    p.onResponse({ status: 200, etag: 'e3', expires: 600 });
    p.stop();
    p.stop();
    expect(sent.map(kind)).toEqual(['initial open', 'refresh e1', 'modify e2 busy', 'remove e3']);
    expect(sent[1]!.at).toBe(568_000);
    expect(p.state).toBe('terminated');
    expect(clock.pending()).toBe(0);
  });

  it('keeps one PUBLISH in flight and sends a change made meanwhile after the response (§4.1)', () => {
    const { sent, p } = make();
    p.start('open');
    p.setPresence('busy');
    p.setPresence('closed');
    expect(sent).toHaveLength(1);
    p.onResponse({ status: 200, etag: 'e1', expires: 600 });
    expect(sent.map(kind)).toEqual(['initial open', 'modify e1 closed']);
  });

  it('starts again with an initial publication after 412 (§6)', () => {
    const { sent, p } = make();
    p.start('open');
    p.onResponse({ status: 200, etag: 'e1', expires: 600 });
    p.setPresence('busy');
    p.onResponse({ status: 412 });
    expect(sent.map(kind)).toEqual(['initial open', 'modify e1 busy', 'initial busy']);
  });

  it('publishes again with Min-Expires after 423', () => {
    const { sent, p } = make();
    p.start('open');
    p.onResponse({ status: 423, minExpires: 7200 });
    expect(sent.at(-1)).toMatchObject({ expiresS: 7200 });
  });

  it('stops for good on 489', () => {
    const { clock, sent, p } = make();
    p.start('open');
    p.onResponse({ status: 489 });
    clock.advance(3_600_000);
    expect(p.state).toBe('terminated');
    expect(p.endReason).toBe('bad-event');
    expect(sent).toHaveLength(1);
  });

  it('backs off, doubling, after failures and publishes the latest state', () => {
    const { clock, sent, p } = make();
    p.start('open');
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = clock.now();
      p.onResponse({ status: 503 });
      if (i === 1) p.setPresence('busy');
      clock.advance(30_000);
      delays.push(sent.at(-1)!.at - at);
    }
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(kind(sent.at(-1)!)).toBe('initial busy');
  });

  it('honours Retry-After', () => {
    const { clock, sent, p } = make();
    p.start('open');
    p.onResponse({ status: 500, retryAfter: 20 });
    clock.advance(19_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toHaveLength(2);
  });
});
