/** Following a REFER with the links: the new link's states reported to the referrer, the old link hung up on success only. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { TransferCoordinator, type TransferEndReason, type TransferLink } from '../../server/sip/transfer-coordinator.js';

const old: TransferLink = { id: 'old', profile: 'opus-music-128k', input: 'in', output: 'out' };

function make(opts: { dialFails?: boolean; statesWhileDialling?: string[] } = {}) {
  const clock = new FakeClock();
  const listeners = new Set<(c: { id: string; state: string }) => void>();
  const dialled: unknown[] = [];
  const hungUp: string[] = [];
  let endReason: TransferEndReason | null | undefined;
  const emit = (id: string, state: string) => {
    for (const fn of [...listeners]) fn({ id, state });
  };
  const c = new TransferCoordinator({
    clock,
    dial: (r) => {
      if (opts.dialFails) throw new Error('link limit');
      dialled.push(r);
      for (const s of opts.statesWhileDialling ?? []) emit('new', s);
      return { id: 'new' };
    },
    hangup: (id) => void hungUp.push(id),
    onState: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    endReason: (id) => (id === 'new' ? endReason : undefined),
    timeoutMs: 30_000,
  });
  const reports: [number, string | undefined][] = [];
  const r = { report: (s: number, reason?: string) => void reports.push([s, reason]) };
  const link = (state: string, why?: TransferEndReason | null) => {
    if (why !== undefined) endReason = why;
    emit('other', state); // another link's changes are not this transfer's
    emit('new', state);
  };
  return { clock, c, r, reports, dialled, hungUp, link, listeners };
}

describe('following a REFER (RFC 3515)', () => {
  it("dials the target with the old link's profile, reports ringing and success, then hangs the old link up", () => {
    const { c, r, reports, dialled, hungUp, link, listeners } = make();
    c.follow(old, 'sip:studio3@192.0.2.3', r);
    expect(dialled).toEqual([{ to: 'sip:studio3@192.0.2.3', profile: 'opus-music-128k', input: 'in', output: 'out' }]);
    for (const s of ['dialling', 'ringing', 'ringing', 'connected']) link(s);
    expect(reports).toEqual([
      [180, 'Ringing'],
      [200, 'OK'],
    ]);
    expect(hungUp).toEqual(['old']);
    expect(listeners.size).toBe(0);
    expect(c.size).toBe(0);
  });

  const failures: { name: string; endReason: TransferEndReason | null; report: [number, string] }[] = [
    { name: 'its SIP status', endReason: { sipStatus: 486, reason: 'Busy Here' }, report: [486, 'Busy Here'] },
    { name: '480 when it has none', endReason: null, report: [480, 'Temporarily Unavailable'] },
  ];
  for (const f of failures) {
    it(`reports a failed new link with ${f.name} and keeps the old link`, () => {
      const { c, r, reports, hungUp, link } = make();
      c.follow(old, 'sip:studio3@192.0.2.3', r);
      link('failed', f.endReason);
      expect(reports).toEqual([f.report]);
      expect(hungUp).toEqual([]);
    });
  }

  it('reports 503 when the new link cannot be dialled', () => {
    const { c, r, reports, listeners } = make({ dialFails: true });
    c.follow(old, 'sip:studio3@192.0.2.3', r);
    expect(reports).toEqual([[503, 'Service Unavailable']]);
    expect(listeners.size).toBe(0);
  });

  it('dials an attended transfer with the Replaces the Refer-To carried (RFC 3891 §7.1)', () => {
    const { c, r, dialled } = make();
    c.follow(old, 'sip:studio3@192.0.2.3', r, 'abc@192.0.2.3;to-tag=t1;from-tag=f1');
    expect(dialled).toEqual([{ to: 'sip:studio3@192.0.2.3', profile: 'opus-music-128k', input: 'in', output: 'out', replaces: 'abc@192.0.2.3;to-tag=t1;from-tag=f1' }]);
  });

  it('hears the states the new link passes through while it is being dialled', () => {
    const { c, r, reports, hungUp } = make({ statesWhileDialling: ['dialling', 'failed'] });
    c.follow(old, 'sip:studio3@192.0.2.3', r);
    expect(reports).toEqual([[480, 'Temporarily Unavailable']]);
    expect(hungUp).toEqual([]);
    expect(c.size).toBe(0);
  });

  it('refuses a second transfer of the same link while the first runs', () => {
    const { c, r, reports, dialled } = make();
    c.follow(old, 'sip:a@192.0.2.3', r);
    c.follow(old, 'sip:b@192.0.2.4', r);
    expect(dialled).toHaveLength(1);
    expect(reports).toEqual([[491, 'Request Pending']]);
  });

  it('gives up after the timeout: 408 to the referrer, the new link hung up, the old one kept', () => {
    const { clock, c, r, reports, hungUp, link } = make();
    c.follow(old, 'sip:a@192.0.2.3', r);
    link('ringing');
    clock.advance(30_000);
    expect(reports).toEqual([
      [180, 'Ringing'],
      [408, 'Request Timeout'],
    ]);
    expect(hungUp).toEqual(['new']);
  });
});
