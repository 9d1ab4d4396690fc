/**
 * The service's text messaging over plain functions and an in-memory log: where `to` goes (phonebook
 * id, SIP URI, the dialog of a live link), pending then delivered or failed, incoming messages linked
 * to their link only when they came in its dialog, and every change announced once.
 */
import { describe, expect, it } from 'vitest';
import { MessageLog, type MessageRecord } from '../../server/store/message-log.js';
import type { HistoryFile } from '../../server/store/history-file.js';
import { Messaging, type MessageOutcome, type MessageRoute } from '../../server/store/messaging.js';
import { FakeClock } from '../../server/util/clock.js';
import { AcipError } from '../../server/util/errors.js';

const memoryFile = (): HistoryFile => ({
  path: '/memory/messages.jsonl',
  readAll: () => undefined,
  append: async () => undefined,
  sync: async () => undefined,
  replace: async () => undefined,
  appendSync: () => undefined,
});

function make(outcome: MessageOutcome | Error = { status: 200, reason: 'OK' }) {
  const clock = new FakeClock(0, Date.UTC(2026, 11, 7, 8, 0, 0));
  const log = new MessageLog('/unused', { clock, file: memoryFile() });
  const sent: { route: MessageRoute; text: string }[] = [];
  const events: MessageRecord[] = [];
  let n = 0;
  const m = new Messaging({
    log,
    wallNow: () => clock.wallNow(),
    entry: (id) => (id === 'e1' ? { uri: 'sip:studio2@192.0.2.10' } : id === 'e2' ? { uri: 'sips:studio3@example.org', tlsVerify: false } : id === 'e3' ? { uri: 'tel:+4930123' } : undefined),
    liveLinkTo: (uri) => (uri.toLowerCase().includes('studio2@') ? 'L1' : undefined),
    send: async (route, text) => {
      sent.push({ route, text });
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    newId: () => `m${++n}`,
  });
  m.events.on('message', (r) => events.push(r));
  return { m, log, sent, events };
}

describe('where an outgoing message goes', () => {
  const routes: { to: string; route: MessageRoute }[] = [
    { to: 'e1', route: { uri: 'sip:studio2@192.0.2.10', linkId: 'L1' } },
    { to: 'e2', route: { uri: 'sips:studio3@example.org', tlsVerify: false } },
    { to: 'sip:studio4@192.0.2.44', route: { uri: 'sip:studio4@192.0.2.44' } },
    { to: ' SIP:Studio2@192.0.2.10 ', route: { uri: 'SIP:Studio2@192.0.2.10', linkId: 'L1' } },
  ];
  for (const r of routes) {
    it(`sends to ${JSON.stringify(r.to)} as ${JSON.stringify(r.route)}`, () => {
      expect(make().m.route(r.to)).toEqual(r.route);
    });
  }

  const refused: { to: string; code: string }[] = [
    { to: 'nope', code: 'NOT_FOUND' },
    { to: 'tel:+4930123', code: 'VALIDATION' },
    { to: 'sip:has space@x', code: 'VALIDATION' },
    { to: 'e3', code: 'VALIDATION' },
  ];
  for (const r of refused) {
    it(`refuses ${JSON.stringify(r.to)} with ${r.code} naming the field to`, () => {
      let err: unknown;
      try {
        make().m.route(r.to);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AcipError);
      expect((err as AcipError).code).toBe(r.code);
      expect((err as AcipError).field).toBe('to');
    });
  }
});

describe('sending', () => {
  const outcomes: { name: string; outcome: MessageOutcome | Error; status: string; code: number }[] = [
    { name: 'a 2xx is delivered', outcome: { status: 202, reason: 'Accepted' }, status: 'delivered', code: 202 },
    { name: 'a refusal is failed with its status', outcome: { status: 480, reason: 'Temporarily Unavailable' }, status: 'failed', code: 480 },
    { name: 'a timeout is failed with 408', outcome: { status: 408, reason: 'Request Timeout' }, status: 'failed', code: 408 },
    { name: 'a target that cannot be routed is failed with 503', outcome: new Error('SIP_DNS_NOT_FOUND'), status: 'failed', code: 503 },
  ];
  for (const o of outcomes) {
    it(`keeps it pending, then ${o.name}`, async () => {
      const { m, log, sent, events } = make(o.outcome);
      const r = await m.send('e1', 'on air in 30 s');
      expect(sent).toEqual([{ route: { uri: 'sip:studio2@192.0.2.10', linkId: 'L1' }, text: 'on air in 30 s' }]);
      expect(r).toMatchObject({ id: 'm1', direction: 'out', remote: 'sip:studio2@192.0.2.10', linkId: 'L1', status: o.status, statusCode: o.code });
      expect(events.map((e) => e.status)).toEqual(['pending', o.status]);
      expect(log.get('m1')).toEqual(r);
      expect(r.at).toBe('2026-12-07T08:00:00.000Z');
    });
  }

  it('refuses before keeping anything when to is unknown', async () => {
    const { m, log, sent } = make();
    await expect(m.send('nope', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(log.size).toBe(0);
    expect(sent).toEqual([]);
  });
});

describe('receiving', () => {
  it('keeps a message as delivered and links it to the live link only when it came in a dialog', () => {
    const { m, events } = make();
    const outside = m.receive({ from: 'sip:studio2@192.0.2.10', text: 'hello', inDialog: false });
    const inside = m.receive({ from: 'sip:studio2@192.0.2.10', text: 'in the call', inDialog: true });
    expect(outside).toMatchObject({ direction: 'in', status: 'delivered', text: 'hello' });
    expect(outside.linkId).toBeUndefined();
    expect(inside.linkId).toBe('L1');
    expect(events.map((e) => e.id)).toEqual([outside.id, inside.id]);
    expect(m.list({}).map((r) => r.id)).toEqual([inside.id, outside.id]);
  });
});
